package fincloud.payments;

import static fincloud.payments.LedgerFixture.ADMIN;
import static fincloud.payments.LedgerFixture.TELLER;
import static fincloud.payments.LedgerFixture.created;
import static fincloud.payments.LedgerFixture.key;
import static fincloud.payments.LedgerFixture.problem;
import static fincloud.payments.LedgerFixture.transferRequest;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.node.Main;
import fincloud.node.MetricsPage;
import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestClock;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node that runs several payments and risk instances (more than this machine may have cores)
 * behaves as one payments service and one risk service: concurrent transfers spread over the
 * instances' writers keep the books exact, a rule change is in force at once on every risk
 * instance of the node, expired holds are voided, and {@code /metrics} shows the node's ledger
 * queue and its risk breaker once.
 */
class SeveralInstancesTest {
  static final int INSTANCES = 3;
  static final TestClock CLOCK = new TestClock();

  static Vertx vertx;
  static TestNode node;
  static TestClient http;
  static LedgerFixture ledger;

  @BeforeAll
  static void start() {
    // built as the launcher builds it, with metrics, so that /metrics shows the node's meters
    vertx = Vertx.builder().with(Main.vertxOptions()).withMetrics(MetricsPage.factory()).build();
    node = TestNode.start(vertx, new JsonObject()
            .put("ledger", new JsonObject().put("instances", INSTANCES).put("expiryIntervalMs", 100))
            .put("risk", new JsonObject().put("instances", INSTANCES)),
        TestDatabase.freshDatabase(), CLOCK);
    http = node.client();
    ledger = new LedgerFixture(http, node.pgUrl());
  }

  @AfterAll
  static void stop() {
    http.close();
    node.stop();
    vertx.close().await();
  }

  @Test
  void concurrentTransfersOverEveryWriterKeepTheBooksExact() {
    String from = ledger.funded("USD", 1_000);
    List<String> to = IntStream.range(0, 10).mapToObj(i -> ledger.open("USD")).toList();
    String token = http.token(TELLER);
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      sent.add(http.web().post("/v1/transfers").bearerTokenAuthentication(token).putHeader("Idempotency-Key", key())
          .sendJsonObject(transferRequest(from, to.get(i % to.size()), 1 + i % 5, "USD")));
    }
    Future.join(sent).await();
    long moved = 0;
    for (int i = 0; i < sent.size(); i++) {
      created(sent.get(i).result());
      moved += 1 + i % 5;
    }
    ledger.assertBalance(from, 1_000 - moved, 0);
    assertThat(to.stream().mapToLong(id -> ledger.balance(id).getLong("posted")).sum()).isEqualTo(moved);
    assertThat(ledger.transferRows(to)).as("transfers made").isEqualTo(300);
  }

  @Test
  void aRuleChangeIsInForceAtOnceOnEveryRiskInstanceOfTheNode() {
    String from = ledger.funded("USD", 1_000);
    String blocked = ledger.open("USD");
    putRules(new JsonArray().add(new JsonObject().put("id", "blocked").put("type", "BLOCKLIST")
        .put("accountIds", new JsonArray().add(blocked))));
    // no waiting: the instances take turns, and each must decline
    for (int i = 0; i < 2 * INSTANCES; i++) {
      problem(http.transfer(TELLER, from, blocked, 1, "USD"), 422, "RISK_DECLINED");
    }
    putRules(new JsonArray());
    for (int i = 0; i < 2 * INSTANCES; i++) {
      created(http.transfer(TELLER, from, blocked, 1, "USD"));
    }
  }

  @Test
  void expiredHoldsAreVoided() {
    String from = ledger.funded("USD", 1_000);
    String to = ledger.open("USD");
    List<String> holds = IntStream.range(0, 6)
        .mapToObj(i -> ledger.hold(from, to, 10, "USD", 1).getString("id")).toList();
    ledger.assertBalance(from, 1_000, 60);
    CLOCK.advance(Duration.ofSeconds(2));
    Eventually.until("the holds are expired", Duration.ofSeconds(30), () -> holds.stream()
        .allMatch(id -> "EXPIRED".equals(ledger.transferById(id).getString("voidReason"))));
    ledger.assertBalance(from, 1_000, 0);
    ledger.assertBalance(to, 0, 0);
  }

  @Test
  void metricsShowTheNodesLedgerQueueAndRiskBreakerOnce() {
    created(http.transfer(TELLER, ledger.funding("USD"), ledger.open("USD"), 1, "USD"));
    String page = node.management().web().get("/metrics").send().await().bodyAsString();
    assertThat(page.lines().filter(line -> line.startsWith("fincloud_ledger_queue ")
        || line.startsWith("fincloud_ledger_queue{"))).hasSize(1);
    assertThat(page.lines().filter(line -> line.startsWith("fincloud_ledger_groups_in_flight"))).hasSize(1);
    assertThat(page.lines().filter(line -> line.startsWith("fincloud_payments_breaker_state")
        && line.contains("service=\"risk\""))).hasSize(1);
  }

  private static void putRules(JsonArray rules) {
    HttpResponse<Buffer> response = http.put(ADMIN, "/v1/risk/rules", new JsonObject().put("rules", rules));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
  }
}
