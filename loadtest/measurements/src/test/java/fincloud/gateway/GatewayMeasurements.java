package fincloud.gateway;

import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * Latency figures of the gateway's protections, printed as {@code MEASURE} lines; not a test of
 * pass or fail; run on purpose with {@code mvn -B -Pmeasure test} (see loadtest/README.md). An open-model generator: requests
 * leave at a constant rate whatever the answers do, and each latency is counted from the moment
 * its request was due (no coordinated omission), into an HdrHistogram.
 */
class GatewayMeasurements {
  private static final int SECONDS = Integer.getInteger("fincloud.measure.seconds", 10);
  /** Requests per second of the open-breaker run and of the well-behaved client. */
  private static final int RATE = Integer.getInteger("fincloud.measure.rate", 200);

  static {
    if (!Boolean.parseBoolean(System.getProperty("fincloud.measure.accessLog", "true"))) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("fincloud.access"))
          .setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }

  /** Sends {@code perSecond} requests for {@code seconds}; latencies (microseconds) of those answered with {@code status}. */
  static Future<Histogram> run(Vertx vertx, int perSecond, int seconds, Supplier<HttpRequest<Buffer>> request, int status) {
    Histogram latencies = new Histogram(60_000_000L, 3);
    AtomicInteger others = new AtomicInteger();
    AtomicInteger pending = new AtomicInteger();
    Promise<Histogram> done = Promise.promise();
    long start = System.nanoTime();
    long total = (long) perSecond * seconds;
    long[] sent = {0};
    vertx.setPeriodic(1, timer -> {
      long due = (System.nanoTime() - start) * perSecond / 1_000_000_000L;
      while (sent[0] < Math.min(due, total)) {
        long intended = start + sent[0] * 1_000_000_000L / perSecond;
        sent[0]++;
        pending.incrementAndGet();
        request.get().send().onComplete(answer -> {
          if (answer.succeeded() && answer.result().statusCode() == status) {
            latencies.recordValue(Math.max(0, (System.nanoTime() - intended) / 1000));
          } else {
            others.incrementAndGet();
          }
          if (pending.decrementAndGet() == 0 && sent[0] >= total) {
            done.tryComplete(latencies);
          }
        });
      }
      if (sent[0] >= total) {
        vertx.cancelTimer(timer);
      }
    });
    return done.future().onSuccess(h -> {
      if (others.get() > 0) {
        System.out.printf("MEASURE   (%d answers other than %d left out)%n", others.get(), status);
      }
    });
  }

  /** One request at a time for {@code seconds}: the service time of one request with nothing queued. */
  static Future<Histogram> closedLoop(int seconds, Supplier<HttpRequest<Buffer>> request) {
    Histogram latencies = new Histogram(60_000_000L, 3);
    Promise<Histogram> done = Promise.promise();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    next(request, latencies, end, done);
    return done.future();
  }

  private static void next(Supplier<HttpRequest<Buffer>> request, Histogram latencies, long end, Promise<Histogram> done) {
    if (System.nanoTime() > end) {
      done.complete(latencies);
      return;
    }
    long sent = System.nanoTime();
    request.get().send().onComplete(answer -> {
      latencies.recordValue((System.nanoTime() - sent) / 1000);
      next(request, latencies, end, done);
    });
  }

  static String summary(Histogram h) {
    return String.format("n=%d p50=%.2f ms p99=%.2f ms p99.9=%.2f ms max=%.2f ms", h.getTotalCount(),
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
  }

  static WebClient client(Vertx vertx, int port) {
    return WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64));
  }

  @Test
  void openBreakerRefusals() {
    Vertx vertx = Vertx.vertx();
    Vertx load = Vertx.vertx();
    TestNode node = TestNode.start(vertx, new JsonObject().put("FINCLOUD_ROLES", "gateway,payments,risk,audit")
        .put("gateway", new JsonObject().put("breaker", new JsonObject().put("maxFailures", 3).put("resetTimeoutMs", 600_000))));
    TestClient http = node.client();
    String token = http.token("acme-teller");
    for (int i = 0; i < 3; i++) {
      http.get("acme-teller", "/v1/accounts");
    }
    WebClient web = client(load, node.port());
    Histogram one = closedLoop(5, () -> web.get("/v1/accounts").bearerTokenAuthentication(token)).await();
    System.out.println("MEASURE 503 while the accounts breaker is open, one request at a time: " + summary(one));
    Histogram open = run(load, RATE, SECONDS, () -> web.get("/v1/accounts").bearerTokenAuthentication(token), 503).await();
    System.out.println("MEASURE 503 while the accounts breaker is open, " + RATE + " req/s for " + SECONDS + " s: "
        + summary(open));
    web.close();
    http.close();
    node.stop();
    load.close().await();
    vertx.close().await();
  }

  @Test
  void othersWhileOneClientBursts() {
    Vertx vertx = Vertx.vertx();
    Vertx load = Vertx.vertx();
    // globex-teller: 50 requests per second, as 5 per 100 ms; it will send 500 per second.
    TestNode node = TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject().put("rateLimits",
        new JsonObject().put("clients", new JsonObject().put("globex-teller", new JsonObject().put("limit", 5).put("periodMs", 100))))));
    TestClient http = node.client();
    String acme = http.token("acme-teller");
    String globex = http.token("globex-teller");
    String account = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR")).getString("id");
    String globexAccount = http.openAccount("globex-teller", new JsonObject().put("currency", "EUR")).getString("id");
    WebClient acmeWeb = client(load, node.port());
    WebClient globexWeb = client(load, node.port());
    Supplier<HttpRequest<Buffer>> acmeRead = () -> acmeWeb.get("/v1/accounts/" + account).bearerTokenAuthentication(acme);
    Supplier<HttpRequest<Buffer>> globexRead = () -> globexWeb.get("/v1/accounts/" + globexAccount).bearerTokenAuthentication(globex);
    run(load, RATE, 5, acmeRead, 200).await();
    for (int round = 1; round <= 2; round++) {
      Histogram alone = run(load, RATE, SECONDS, acmeRead, 200).await();
      System.out.println("MEASURE round " + round + " acme-teller " + RATE + " req/s alone: " + summary(alone));
      Future<Histogram> burst = run(load, 500, SECONDS, globexRead, 429);
      Histogram beside = run(load, RATE, SECONDS, acmeRead, 200).await();
      System.out.println("MEASURE round " + round + " acme-teller " + RATE + " req/s beside globex-teller bursting 500 req/s "
          + "(10x its 50 req/s): " + summary(beside));
      System.out.println("MEASURE round " + round + "   globex-teller's 429s: " + summary(burst.await()));
    }
    acmeWeb.close();
    globexWeb.close();
    http.close();
    node.stop();
    load.close().await();
    vertx.close().await();
  }
}
