package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.Funds;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Principle 10: a database outage is no reason to decline a transfer. A node on a pair of
 * servers (the standby played by a read-only server, as in {@link PrimarySwitchTest}) has no
 * writable server for longer than risk's {@code rulesMaxStaleMs}, then its primary accepts writes
 * again (the books are on it: the switch to another server is {@link PrimarySwitchTest}'s and the
 * fault run's). A transfer meanwhile is 503 UNAVAILABLE (retry); the transfers sent as soon as the
 * node is ready again are acknowledged, never 422 RISK_DECLINED by the risk fallback.
 */
class RiskThroughOutageTest {
  private static final Duration BACK = Duration.ofSeconds(20);
  private static final long OUTAGE_MS = 8_000;
  private static EmbeddedDatabase serverA;
  private static EmbeddedDatabase serverB;
  private static Vertx vertx;
  private static TestNode node;
  private static TestClient client;

  @BeforeAll
  static void startAPairAndANodeWhoseRiskChecksItsRulesOften() throws Exception {
    serverA = EmbeddedDatabase.start(Files.createTempDirectory("fincloud-outage-a"), 0);
    serverB = EmbeddedDatabase.start(Files.createTempDirectory("fincloud-outage-b"), 0);
    Migrations.migrate(serverB.url());
    readOnly(serverB, true);
    String pair = "postgresql://postgres:postgres@127.0.0.1:" + serverA.port() + ",127.0.0.1:" + serverB.port()
        + "/postgres?target_session_attrs=read-write";
    Migrations.migrate(pair);
    vertx = Vertx.vertx();
    // the outage is longer than the staleness risk tolerates when the database answers; the checks
    // are seconds apart, so the first transfers after it come before risk's first successful check
    JsonObject risk = new JsonObject().put("rulesPollMs", 4_000).put("rulesMaxStaleMs", 5_000);
    node = TestNode.start(vertx, new JsonObject().put("risk", risk), pair);
    client = node.client();
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
  void transfersRightAfterAnOutageAreAcknowledgedNotDeclined() throws Exception {
    String debit = Funds.fundedAccount(client, "acme-teller", "USD", 1_000_000);
    String credit = client.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
    client.token("acme-teller");

    readOnly(serverA, true);
    endSessions(serverA);
    Eventually.until("/health/ready answers 503 while no server accepts writes", BACK,
        () -> client.web().get("/health/ready").send().await().statusCode() == 503);
    assertThat(answer(client.transfer("acme-teller", debit, credit, 1, "USD")))
        .as("a transfer while there is no primary").isEqualTo("503 UNAVAILABLE");
    Thread.sleep(OUTAGE_MS);
    readOnly(serverA, false);
    Eventually.until("/health/ready answers 200 once the primary accepts writes again", BACK,
        () -> client.web().get("/health/ready").send().await().statusCode() == 200);

    // the clients that were told to retry come back at once, together
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> sent = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        sent.add(clients.submit(() -> answer(client.transfer("acme-teller", debit, credit, 1, "USD"))));
      }
      List<String> answers = new ArrayList<>();
      for (Future<String> answer : sent) {
        answers.add(answer.get());
      }
      assertThat(answers).as("transfers right after the outage: acknowledged (or told to retry), never declined")
          .contains("201").allMatch(answer -> answer.equals("201") || answer.equals("503 UNAVAILABLE"));
    } finally {
      clients.shutdownNow();
    }
  }

  private static String answer(HttpResponse<Buffer> response) {
    if (response.statusCode() < 400) {
      return String.valueOf(response.statusCode());
    }
    JsonObject problem = response.bodyAsJsonObject();
    return response.statusCode() + " " + (problem == null ? "" : problem.getString("code"));
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
