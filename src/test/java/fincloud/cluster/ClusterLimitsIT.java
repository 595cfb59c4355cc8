package fincloud.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.TestSql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * sent (each gateway alone would write one per second).
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
}
