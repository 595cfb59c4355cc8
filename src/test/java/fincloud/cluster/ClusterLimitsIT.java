package fincloud.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.TestSql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Two node JVMs in one loopback cluster: a client's rate limit and the gathering of its failed
 * authentications hold for the cluster, not per gateway. globex-teller may make 200 requests a
 * minute; it sends 600 through both gateways at once and gets 200 ± 10 % in total, not twice its
 * quota. Bad tokens sent to both gateways from one address for five seconds become at most one
 * AUTH_FAILED record per second of the clock (plus one late), whose attempts add up to every one
 * sent (each gateway alone would write one per second). A velocity limit of ten transfers an hour
 * on one account holds across the nodes: 32 transfers sent at once through both gateways (each
 * node scores with its own risk instance) give exactly ten.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240)
class ClusterLimitsIT {
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final int LIMIT = 200;
  private static final long PERIOD_MS = 60_000;

  private ClusterHarness cluster;
  private final List<NodeProcess> nodes = new ArrayList<>();

  @BeforeAll
  void startTwoNodes() throws Exception {
    cluster = new ClusterHarness(new JsonObject().put("gateway", new JsonObject().put("rateLimits", new JsonObject()
        .put("clients", new JsonObject().put("globex-teller",
            new JsonObject().put("limit", LIMIT).put("periodMs", PERIOD_MS))))));
    try {
      nodes.add(cluster.node("node1", "all", Map.of()));
      nodes.add(cluster.node("node2", "all", Map.of()));
      ClusterHarness.startAll(nodes, BOOT);
    } catch (Throwable failure) {
      cluster.close();
      throw failure;
    }
  }

  @AfterAll
  void stopEveryNode() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aClientHammeringBothGatewaysGetsItsQuotaOnceInTotal() throws Exception {
    String token = Api.token(nodes.get(0), "globex-teller");
    // The limit's windows are minutes of the clock: start with enough of the minute left.
    long left = PERIOD_MS - System.currentTimeMillis() % PERIOD_MS;
    if (left < 25_000) {
      NodeProcess.sleep(left + 100);
    }
    ExecutorService senders = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 3 * LIMIT; i++) {
        NodeProcess via = nodes.get(i % 2);
        answers.add(senders.submit(() -> Api.get(via, token, "/v1/accounts/acc_x").status()));
      }
      int[] admittedBy = new int[2];
      int refused = 0;
      for (int i = 0; i < answers.size(); i++) {
        int status = answers.get(i).get();
        assertThat(status).as("answer %d", i).isIn(404, 429);
        if (status == 404) {
          admittedBy[i % 2]++;
        } else {
          refused++;
        }
      }
      int admitted = admittedBy[0] + admittedBy[1];
      System.out.printf("admitted %d (node1 %d, node2 %d), refused %d of %d%n", admitted, admittedBy[0],
          admittedBy[1], refused, answers.size());
      assertThat(admitted).isBetween(LIMIT * 9 / 10, LIMIT * 11 / 10);
      assertThat(admittedBy[0]).isPositive();
      assertThat(admittedBy[1]).isPositive();
    } finally {
      senders.shutdownNow();
    }
  }

  @Test
  void failedAuthenticationsAtBothGatewaysBecomeOneRecordPerSecond() throws Exception {
    ExecutorService senders = Executors.newFixedThreadPool(8);
    long first = System.currentTimeMillis();
    List<Future<Integer>> sending = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      NodeProcess via = nodes.get(i % 2);
      sending.add(senders.submit(() -> {
        int mine = 0;
        while (System.currentTimeMillis() - first < 5_000) {
          assertThat(Api.get(via, "not-a-token", "/v1/accounts").status()).isEqualTo(401);
          mine++;
        }
        return mine;
      }));
    }
    int sent = 0;
    for (Future<Integer> sender : sending) {
      sent += sender.get();
    }
    senders.shutdown();
    long last = System.currentTimeMillis();
    long seconds = last / 1000 - first / 1000 + 1;
    String records = "SELECT count(*) FROM " + TestSql.AUDIT_FACTS + " f WHERE action = 'AUTH_FAILED'"
        + " AND tenant = '_system' AND origin = '127.0.0.1'";
    String attempts = "SELECT sum((data->>'attempts')::bigint) FROM " + TestSql.AUDIT_FACTS + " f"
        + " WHERE action = 'AUTH_FAILED' AND tenant = '_system' AND origin = '127.0.0.1'";
    long deadline = System.currentTimeMillis() + 20_000;
    while (TestSql.number(cluster.pgUrl, attempts) < sent && System.currentTimeMillis() < deadline) {
      NodeProcess.sleep(200);
    }
    long written = TestSql.number(cluster.pgUrl, records);
    System.out.printf("%d bad tokens in %d seconds of the clock: %d AUTH_FAILED records%n", sent, seconds, written);
    assertThat(TestSql.number(cluster.pgUrl, attempts)).isEqualTo(sent);
    assertThat(written).isLessThanOrEqualTo(seconds + 1);
  }

  @Test
  void aVelocityLimitHoldsAcrossTheNodes() throws Exception {
    String admin = Api.token(nodes.get(0), "acme-admin");
    String teller = Api.token(nodes.get(0), "acme-teller");
    String source = Api.openAccount(nodes.get(0), admin, new JsonObject().put("currency", "EUR")
        .put("overdraftLimit", 1_000_000));
    String target = Api.openAccount(nodes.get(0), teller, new JsonObject().put("currency", "EUR"));
    String probe = Api.openAccount(nodes.get(0), teller, new JsonObject().put("currency", "EUR"));
    String probeSender = Api.openAccount(nodes.get(0), admin, new JsonObject().put("currency", "EUR")
        .put("overdraftLimit", 1_000));
    Api.Reply rules = Api.put(nodes.get(0), admin, "/v1/risk/rules", new JsonObject().put("rules", new JsonArray()
        .add(new JsonObject().put("id", "ten").put("type", "VELOCITY_COUNT").put("windowSeconds", 3600).put("max", 10))
        .add(new JsonObject().put("id", "probe").put("type", "BLOCKLIST").put("accountIds", new JsonArray().add(probe)))));
    assertThat(rules.status()).as(rules.body().encode()).isEqualTo(200);
    for (NodeProcess node : nodes) {
      awaitRulesInForce(node, teller, probeSender, probe);
    }

    ExecutorService senders = Executors.newFixedThreadPool(32);
    try {
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        NodeProcess via = nodes.get(i % 2);
        answers.add(senders.submit(() -> outcome(via, teller, source, target)));
      }
      Map<String, Integer> outcomes = new TreeMap<>();
      for (Future<String> answer : answers) {
        outcomes.merge(answer.get(), 1, Integer::sum);
      }
      System.out.printf("32 transfers under a velocity limit of 10, through both gateways: %s%n", outcomes);
      assertThat(outcomes).isEqualTo(Map.of("201", 10, "422 RISK_DECLINED", 22));
    } finally {
      senders.shutdownNow();
    }
    long posted = Api.get(nodes.get(1), teller, "/v1/accounts/" + target).body().getJsonObject("balance")
        .getLong("posted");
    assertThat(posted).isEqualTo(10 * 7);
  }

  /** Until the node's risk declines two transfers in a row to the blocklisted probe. */
  private static void awaitRulesInForce(NodeProcess node, String teller, String sender, String probe) {
    int inARow = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (inARow < 2 && System.nanoTime() < deadline) {
      Api.Reply reply = Api.post(node, teller, "/v1/transfers", new JsonObject().put("debitAccountId", sender)
          .put("creditAccountId", probe).put("amount", 1).put("currency", "EUR"));
      inARow = reply.body().encode().contains("\"probe\"") ? inARow + 1 : 0;
      NodeProcess.sleep(inARow == 0 ? 250 : 0);
    }
    assertThat(inARow).as("%s scores with the new rules", node.name).isEqualTo(2);
  }

  /** "201" or "422 <code>", a refusal by the risk fallback asked again with the same key as a client would. */
  private static String outcome(NodeProcess via, String teller, String source, String target) {
    JsonObject body = new JsonObject().put("debitAccountId", source).put("creditAccountId", target)
        .put("amount", 7).put("currency", "EUR");
    String key = UUID.randomUUID().toString();
    Api.Reply reply = Api.post(via, teller, "/v1/transfers", body, key);
    for (int retry = 0; retry < 20 && reply.status() == 422 && reply.body().getBoolean("fallback", false); retry++) {
      NodeProcess.sleep(250);
      reply = Api.post(via, teller, "/v1/transfers", body, key);
    }
    return reply.status() == 201 ? "201" : reply.status() + " " + reply.body().getString("code");
  }
}
