package fincloud.risk;

import fincloud.bus.ScoredTransfer;
import fincloud.shared.Addresses;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How much time risk scoring adds to a transfer. Not a test (no assertion; timings vary with the
 * machine): run it on purpose with
 * {@code mvn -B -Pmeasure test -Dtest=RiskScoringBenchmark}; the figures are printed.
 *
 * <ol>
 *   <li>the scoring itself, in process, against a set of every rule type (a 1000-account blocklist);</li>
 *   <li>what payments waits for: the event-bus round trip to the risk verticle of a running node,
 *       with velocity rules (a compare-and-set on the shared window per transfer), at a steady
 *       5000 requests per second over 2000 debit accounts.</li>
 * </ol>
 */
@ExtendWith(VertxExtension.class)
class RiskScoringBenchmark {
  private static final int PER_MS = 5;
  private static final int RATE = PER_MS * 1000;
  private static final int SECONDS = 10;
  private static final int ACCOUNTS = 2_000;

  private static JsonArray rules() {
    JsonArray blocked = new JsonArray();
    for (int i = 0; i < 1000; i++) {
      blocked.add("acc_blocked_" + i);
    }
    return new JsonArray()
        .add(RiskFixtures.rule("max", "MAX_AMOUNT").put("currency", "USD").put("max", 1_000_000))
        .add(RiskFixtures.rule("burst", "VELOCITY_COUNT").put("windowSeconds", 60).put("max", 1_000_000))
        .add(RiskFixtures.rule("hourly", "VELOCITY_AMOUNT").put("windowSeconds", 3600).put("currency", "USD")
            .put("max", fincloud.shared.Money.MAX_AMOUNT))
        .add(RiskFixtures.rule("sanctions", "BLOCKLIST").put("accountIds", blocked))
        .add(RiskFixtures.rule("young", "NEW_ACCOUNT_LIMIT").put("ageSeconds", 86_400).put("currency", "USD")
            .put("max", 100_000).put("action", "REVIEW"));
  }

  @Test
  void inProcessScoring() {
    RuleSet set = new RuleSet(1, RuleSetParser.parse(new JsonObject().put("rules", rules())));
    Histogram nanos = new Histogram(3);
    VelocityWindow window = VelocityWindow.empty();
    long now = System.currentTimeMillis();
    for (int round = 0; round < 2; round++) {
      nanos.reset();
      for (int i = 0; i < 500_000; i++) {
        ScoredTransfer t = new ScoredTransfer("acc_" + (i % ACCOUNTS), "acc_x", 1 + i % 5000, "USD", "IMMEDIATE", null, 100_000);
        long started = System.nanoTime();
        set.score(t, window, now);
        nanos.recordValue(System.nanoTime() - started);
      }
    }
    System.out.printf("BENCH in-process score: p50 %d ns, p99 %d ns, p99.9 %d ns, max %d ns%n",
        nanos.getValueAtPercentile(50), nanos.getValueAtPercentile(99), nanos.getValueAtPercentile(99.9),
        nanos.getMaxValue());
  }

  @Test
  void eventBusRoundTripAtASteadyRate(Vertx vertx) {
    TestNode node = TestNode.start(vertx);
    TestClient http = node.client();
    try {
      RiskFixtures.putRules(http, "acme-admin", rules().stream().map(o -> (JsonObject) o).toArray(JsonObject[]::new));
      run(vertx, 3);
      Histogram micros = run(vertx, SECONDS);
      System.out.printf("BENCH risk round trip at %d/s for %d s: p50 %d us, p99 %d us, p99.9 %d us, max %d us%n",
          RATE, SECONDS, micros.getValueAtPercentile(50), micros.getValueAtPercentile(99),
          micros.getValueAtPercentile(99.9), micros.getMaxValue());
    } finally {
      http.close();
      node.stop();
    }
  }

  /**
   * Score requests at a constant rate ({@value #PER_MS} every millisecond), as payments sends them,
   * each timed from its send to its reply: the time a transfer waits for risk; in µs.
   */
  private static Histogram run(Vertx vertx, int seconds) {
    Histogram micros = new Histogram(3);
    int total = seconds * RATE;
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    Promise<Void> done = Promise.promise();
    long begin = System.nanoTime();
    vertx.runOnContext(v -> vertx.setPeriodic(1, timer -> {
      long due = (System.nanoTime() - begin) / 1_000_000 * PER_MS;
      while (sent.get() < Math.min(due, total)) {
        int n = sent.getAndIncrement();
        long sentAt = System.nanoTime();
        JsonObject request = new JsonObject().put("tenant", "acme").put("batch", false).put("items", new JsonArray()
            .add(new JsonObject().put("debitAccountId", "acc_" + (n % ACCOUNTS)).put("creditAccountId", "acc_x")
                .put("amount", 1 + n % 5000).put("currency", "USD").put("mode", "IMMEDIATE")
                .put("debitAccountAgeSeconds", 100_000)));
        Future<?> reply = vertx.eventBus().request(Addresses.RISK_SCORE, request,
            new DeliveryOptions().setSendTimeout(5000));
        reply.onComplete(r -> {
          micros.recordValue((System.nanoTime() - sentAt) / 1000);
          if (finished.incrementAndGet() == total) {
            done.complete();
          }
        });
      }
      if (sent.get() >= total) {
        vertx.cancelTimer(timer);
      }
    }));
    done.future().await();
    return micros;
  }
}
