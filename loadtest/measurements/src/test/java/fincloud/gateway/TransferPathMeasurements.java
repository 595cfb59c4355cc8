package fincloud.gateway;

import fincloud.testkit.Funds;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.lang.management.ManagementFactory;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The node's work per transfer, through the whole API of one in-process node (gateway, payments,
 * risk, audit; embedded PostgreSQL in its own processes), printed as {@code MEASURE} lines; run
 * on purpose with {@code mvn -B -Pmeasure test -Dtest=TransferPathMeasurements} under the bench
 * lock. Two figures: one transfer at a time on a kept-alive connection (the client's latency
 * beside the node's own {@code Server-Timing} total), and the CPU of this JVM (node and load
 * generator together, not PostgreSQL) per transfer at a fixed rate well below the peak, which
 * is steadier on a shared machine than throughput.
 */
class TransferPathMeasurements {
  private static final int SECONDS = Integer.getInteger("fincloud.measure.seconds", 15);
  private static final int RATE = Integer.getInteger("fincloud.measure.rate", 200);
  private static final Pattern TOTAL = Pattern.compile("total;dur=([0-9.]+)");

  static {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("fincloud.access"))
        .setLevel(ch.qos.logback.classic.Level.WARN);
  }

  @Test
  void transfers() {
    Vertx vertx = Vertx.vertx();
    Vertx load = Vertx.vertx();
    TestNode node = TestNode.start(vertx, new JsonObject());
    TestClient http = node.client();
    String token = http.token("acme-teller");
    String debit = Funds.fundedAccount(http, "acme-teller", "EUR", 1_000_000_000L);
    String credit = Funds.fundedAccount(http, "acme-teller", "EUR", 0);
    WebClient web = GatewayMeasurements.client(load, node.port());
    Supplier<HttpRequest<Buffer>> transfer = () -> web.post("/v1/transfers").bearerTokenAuthentication(token)
        .putHeader("Idempotency-Key", UUID.randomUUID().toString()).putHeader("Content-Type", "application/json");
    Buffer body = new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit).put("amount", 1)
        .put("currency", "EUR").put("reference", "measure").toBuffer();
    oneAtATime(5, transfer, body).await();
    for (int round = 1; round <= 3; round++) {
      Histogram[] client = oneAtATime(SECONDS / 3, transfer, body).await();
      System.out.printf("MEASURE round %d one at a time: client %s | Server-Timing total %s%n", round,
          GatewayMeasurements.summary(client[0]), GatewayMeasurements.summary(client[1]));
      long cpuBefore = processCpuNanos();
      long[] created = atRate(load, RATE, SECONDS, transfer, body).await();
      long cpu = processCpuNanos() - cpuBefore;
      System.out.printf("MEASURE round %d %d transfers/s for %d s: JVM CPU %.0f µs per transfer (%d created, %d other"
          + " answers)%n", round, RATE, SECONDS, cpu / 1e3 / Math.max(1, created[0]), created[0], created[1]);
    }
    web.close();
    http.close();
    node.stop();
    load.close().await();
    vertx.close().await();
  }

  /** {@code perSecond} transfers for {@code seconds}, sent on schedule; answers: {created, other}. */
  private static Future<long[]> atRate(Vertx vertx, int perSecond, int seconds, Supplier<HttpRequest<Buffer>> request,
      Buffer body) {
    long[] answers = new long[2];
    long total = (long) perSecond * seconds;
    long[] sent = {0};
    Promise<long[]> done = Promise.promise();
    long start = System.nanoTime();
    vertx.setPeriodic(1, timer -> {
      long due = Math.min(total, (System.nanoTime() - start) * perSecond / 1_000_000_000L);
      for (; sent[0] < due; sent[0]++) {
        request.get().sendBuffer(body).onComplete(answer -> {
          answers[answer.succeeded() && answer.result().statusCode() == 201 ? 0 : 1]++;
          if (answers[0] + answers[1] == total) {
            done.tryComplete(answers);
          }
        });
      }
      if (sent[0] >= total) {
        vertx.cancelTimer(timer);
      }
    });
    return done.future();
  }

  /** Client latency and Server-Timing total, in µs, of transfers sent one after the other. */
  private static Future<Histogram[]> oneAtATime(int seconds, Supplier<HttpRequest<Buffer>> request, Buffer body) {
    Histogram[] latencies = {new Histogram(60_000_000L, 3), new Histogram(60_000_000L, 3)};
    Promise<Histogram[]> done = Promise.promise();
    next(request, body, latencies, System.nanoTime() + seconds * 1_000_000_000L, done);
    return done.future();
  }

  private static void next(Supplier<HttpRequest<Buffer>> request, Buffer body, Histogram[] latencies, long end,
      Promise<Histogram[]> done) {
    if (System.nanoTime() > end) {
      done.complete(latencies);
      return;
    }
    long sent = System.nanoTime();
    request.get().sendBuffer(body).onComplete(answer -> {
      if (answer.succeeded() && answer.result().statusCode() == 201) {
        latencies[0].recordValue((System.nanoTime() - sent) / 1000);
        serverTotalMicros(answer.result()).ifPresent(latencies[1]::recordValue);
      }
      next(request, body, latencies, end, done);
    });
  }

  private static java.util.OptionalLong serverTotalMicros(HttpResponse<Buffer> response) {
    String timing = response.getHeader("Server-Timing");
    Matcher total = timing == null ? null : TOTAL.matcher(timing);
    return total != null && total.find() ? java.util.OptionalLong.of(Math.round(Double.parseDouble(total.group(1)) * 1000))
        : java.util.OptionalLong.empty();
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }
}
