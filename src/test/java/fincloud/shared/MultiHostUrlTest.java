package fincloud.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.pgclient.PgConnectOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** FINCLOUD_PG_URL in the multi-host form a failover engine prints, cut into one URL per server. */
class MultiHostUrlTest {

  @Test
  void theUrlPgAutoctlPrintsGivesOneServerEachWithTheirCredentialsAndParameters() {
    MultiHostUrl url = MultiHostUrl.parse("postgres://fincloud:s3cret@127.0.0.1:6001,127.0.0.1:6002/fincloud"
        + "?target_session_attrs=read-write&sslmode=disable");

    assertThat(url.writableOnly()).isTrue();
    List<PgConnectOptions> servers = url.connectOptions();
    assertThat(servers).extracting(PgConnectOptions::getPort).containsExactly(6001, 6002);
    assertThat(servers).allSatisfy(server -> {
      assertThat(server.getHost()).isEqualTo("127.0.0.1");
      assertThat(server.getUser()).isEqualTo("fincloud");
      assertThat(server.getPassword()).isEqualTo("s3cret");
      assertThat(server.getDatabase()).isEqualTo("fincloud");
      // target_session_attrs is the node's business: never sent to the server as a setting
      assertThat(server.getProperties()).doesNotContainKey("target_session_attrs");
    });
    assertThat(url.servers().get(1)).isEqualTo("postgres://fincloud:s3cret@127.0.0.1:6002/fincloud?sslmode=disable");
    // the JDBC driver reads sslmode (and sslrootcert) itself: kept, with its own way to find the primary
    assertThat(url.jdbcUrl()).isEqualTo(
        "jdbc:postgresql://127.0.0.1:6001,127.0.0.1:6002/fincloud?sslmode=disable&targetServerType=primary");
  }

  @Test
  void aSingleHostUrlIsOneServerAsBefore() {
    MultiHostUrl url = MultiHostUrl.parse("postgresql://postgres:postgres@127.0.0.1:5999/postgres");

    assertThat(url.writableOnly()).isFalse();
    assertThat(url.servers()).containsExactly("postgresql://postgres:postgres@127.0.0.1:5999/postgres");
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5999/postgres");
  }

  @Test
  void aHostWithoutPortGetsPostgresDefaultAndIpv6AddressesKeepTheirBrackets() {
    MultiHostUrl url = MultiHostUrl.parse("postgresql://u@db-a,[::1]:6543,[fe80::2]/bank?target_session_attrs=primary");

    assertThat(url.hostPorts()).containsExactly("db-a:5432", "[::1]:6543", "[fe80::2]:5432");
    assertThat(url.writableOnly()).isTrue();
  }

  @Test
  void malformedUrlsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> MultiHostUrl.parse("mysql://u@h/db")).hasMessageContaining("postgresql://");
    assertThatThrownBy(() -> MultiHostUrl.parse("postgresql://u@h1:5432,/db")).hasMessageContaining("host name");
    assertThatThrownBy(() -> MultiHostUrl.parse("postgresql://u@h1:99999/db")).hasMessageContaining("port of h1");
    assertThatThrownBy(() -> MultiHostUrl.parse("postgresql://u@h1,h2/db?target_session_attrs=standby"))
        .hasMessageContaining("target_session_attrs must be read-write");
  }
}
