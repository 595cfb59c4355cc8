package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A node given a multi-host FINCLOUD_PG_URL ({@code target_session_attrs=read-write}) works on
 * whichever server accepts writes, and follows a switch. Two real PostgreSQL servers stand in for
 * a failover pair: the standby is played by a server in read-only mode
 * ({@code default_transaction_read_only}, what a hot standby reports too), a demotion by that mode
 * plus the end of the old primary's sessions (a failover engine restarts a demoted server). The
 * real engine's failover is the fault run {@code PostgresFailoverFaultIT}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrimarySwitchTest {
  private static final Duration SWITCH = Duration.ofSeconds(20);
  private static final JsonObject USD = new JsonObject().put("currency", "USD");
  private static EmbeddedDatabase serverA;
  private static EmbeddedDatabase serverB;
  private static Vertx vertx;
  private static TestNode node;
  private static TestClient client;

  @BeforeAll
  static void startAPairWhoseStandbyIsNamedFirst() throws Exception {
    serverA = EmbeddedDatabase.start(Files.createTempDirectory("fincloud-pair-a"), 0);
    serverB = EmbeddedDatabase.start(Files.createTempDirectory("fincloud-pair-b"), 0);
    Migrations.migrate(serverB.url());
    readOnly(serverB, true);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      client.close();
      node.stop();
    }
    vertx.close().await();
    serverA.close();
    serverB.close();
  }

  @Test
  @Order(1)
  void migrationsTheDurabilityCheckAndTheNodeUseTheWritableServer() throws Exception {
    String pair = "postgresql://postgres:postgres@127.0.0.1:" + serverB.port() + ",127.0.0.1:" + serverA.port()
        + "/postgres?target_session_attrs=read-write";
    Migrations.migrate(pair);
    DatabaseSettings.requireDurable(pair);
    node = TestNode.start(vertx, new JsonObject(), pair);
    client = node.client();

    assertThat(client.web().get("/health/ready").send().await().statusCode()).isEqualTo(200);
    String id = client.openAccount("acme-teller", USD).getString("id");
    assertThat(accounts(serverA, id)).isEqualTo(1);
    assertThat(accounts(serverB, id)).isZero();
  }

  @Test
  @Order(2)
  void withNoWritableServerTheNodeIsNotReadyAndAnswersUnavailable() throws Exception {
    String token = client.token("acme-teller");
    readOnly(serverA, true);
    endSessions(serverA);

    Eventually.until("/health/ready answers 503 while no server accepts writes", SWITCH,
        () -> client.web().get("/health/ready").send().await().statusCode() == 503);
    int status = client.web().post("/v1/accounts").bearerTokenAuthentication(token).sendJsonObject(USD).await()
        .statusCode();
    assertThat(status).as("a write with no primary is refused as unavailable, never a 500").isEqualTo(503);
  }

  @Test
  @Order(3)
  void whenTheOtherServerIsPromotedTheNodeMovesToItByItself() throws Exception {
    readOnly(serverB, false);

    Eventually.until("/health/ready answers 200 once the other server accepts writes", SWITCH,
        () -> client.web().get("/health/ready").send().await().statusCode() == 200);
    String id = Eventually.until("an account opened on the new primary", SWITCH,
        () -> client.post("acme-teller", "/v1/accounts", USD), response -> response.statusCode() == 201)
        .bodyAsJsonObject().getString("id");
    assertThat(accounts(serverB, id)).isEqualTo(1);
    assertThat(accounts(serverA, id)).isZero();
  }

  private static long accounts(EmbeddedDatabase server, String id) {
    return TestSql.number(server.url(), "SELECT count(*) FROM accounts WHERE id::text = ?", id);
  }

  private static void readOnly(EmbeddedDatabase server, boolean on) throws Exception {
    try (Connection connection = DatabaseSettings.connect(server.url());
        Statement statement = connection.createStatement()) {
      statement.execute("SET default_transaction_read_only = off");
      statement.execute("ALTER SYSTEM SET default_transaction_read_only = " + (on ? "on" : "off"));
      statement.execute("SELECT pg_reload_conf()");
    }
  }

  private static void endSessions(EmbeddedDatabase server) throws Exception {
    try (Connection connection = DatabaseSettings.connect(server.url());
        Statement statement = connection.createStatement()) {
      statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          + " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
    }
  }
}
