package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.cluster.TestCertificates;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A URL that asks for TLS gets it from every client of the database: the node's pools, Flyway and
 * the durability check, against a PostgreSQL server with {@code ssl=on} and a certificate signed
 * by a CA made for the test.
 */
@ExtendWith(VertxExtension.class)
class DatabaseTlsTest {
  private static Path dir;
  private static TestCertificates certs;
  private static EmbeddedDatabase server;

  @BeforeAll
  static void startServerWithTls() throws Exception {
    dir = Files.createTempDirectory("fincloud-pg-tls");
    certs = TestCertificates.create(dir);
    // PostgreSQL refuses a key file that others may read
    Files.setPosixFilePermissions(certs.keyPem, PosixFilePermissions.fromString("rw-------"));
    server = EmbeddedDatabase.start(dir.resolve("data"), 0, Map.of("ssl", "on",
        "ssl_cert_file", certs.certPem.toString(), "ssl_key_file", certs.keyPem.toString()));
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @Test
  void aNodeOnVerifyFullWorksAndItsConnectionsAreEncrypted(Vertx vertx) throws Exception {
    String url = server.url() + "?sslmode=verify-full&sslrootcert=" + certs.caPem;
    Migrations.migrate(url);
    DatabaseSettings.requireDurable(url);
    TestNode node = TestNode.start(vertx, new JsonObject(), url);
    try {
      JsonObject account = node.client().openAccount("acme-teller", new JsonObject().put("currency", "USD"));
      assertThat(account.getString("id")).isNotBlank();
      List<Map<String, Object>> connections = TestSql.rows(url, "SELECT a.application_name, s.ssl"
          + " FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.backend_type = 'client backend'");
      assertThat(connections).as("the node's pool, the sealer's and this check").hasSizeGreaterThanOrEqualTo(3);
      assertThat(connections).allSatisfy(connection ->
          assertThat(connection.get("ssl")).as(String.valueOf(connection)).isEqualTo(true));
    } finally {
      node.stop();
    }
  }

  @Test
  void aServerCertificateNotSignedByTheRootCertificateIsRefused() throws Exception {
    TestCertificates other = TestCertificates.create(Files.createDirectories(dir.resolve("other")));
    String url = server.url() + "?sslmode=verify-ca&sslrootcert=" + other.caPem;
    assertThatThrownBy(() -> Migrations.migrate(url)).hasStackTraceContaining("SSL");
    assertThatThrownBy(() -> DatabaseSettings.requireDurable(url)).hasStackTraceContaining("SSL");
  }

  @Test
  void theJdbcUrlKeepsTheUrlsParameters() {
    assertThat(DatabaseSettings.jdbcUrl("postgresql://u:p@db.example:6432/money?sslmode=verify-full&sslrootcert=/ca.pem"))
        .isEqualTo("jdbc:postgresql://db.example:6432/money?sslmode=verify-full&sslrootcert=/ca.pem");
  }
}
