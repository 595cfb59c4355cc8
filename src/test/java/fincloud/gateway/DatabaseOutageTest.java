package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The database goes away under traffic (a loopback proxy in front of it is cut) and comes back:
 * requests get 503, readiness says the database is down, both recover by themselves, and after
 * every unanswered transfer is retried with its Idempotency-Key, each one moved its money exactly
 * once: nothing acknowledged is lost, nothing is doubled.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class DatabaseOutageTest {
  static PgProxy proxy;
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx vertx) {
    String database = TestDatabase.freshDatabase();
    proxy = PgProxy.start(database);
    return TestNode.start(vertx, new JsonObject(), proxy.url(database));
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  /** Transfers sent back to back by a few concurrent senders; each key's amount and last status. */
  static final class Traffic {
    final Map<String, Long> amounts = new ConcurrentHashMap<>();
    final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    final Map<String, String> transferIds = new ConcurrentHashMap<>();
    final AtomicInteger acknowledged = new AtomicInteger();
    final AtomicInteger unavailable = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    volatile long slowest503Nanos;
    volatile boolean stopped;
    final String debit;
    final String credit;
    final String token;

    Traffic(String debit, String credit, String token) {
      this.debit = debit;
      this.credit = credit;
      this.token = token;
    }

    void start(int senders) {
      for (int i = 0; i < senders; i++) {
        running.incrementAndGet();
        next();
      }
    }

    private void next() {
      if (stopped) {
        running.decrementAndGet();
        return;
      }
      String key = UUID.randomUUID().toString();
      long amount = 1 + (key.hashCode() & 0x3f);
      amounts.put(key, amount);
      long sent = System.nanoTime();
      send(key, amount).onComplete(done -> {
        int status = done.succeeded() ? done.result().statusCode() : -1;
        statuses.put(key, status);
        if (status == 201) {
          acknowledged.incrementAndGet();
          transferIds.put(key, done.result().bodyAsJsonObject().getString("id"));
        } else if (status == 503) {
          unavailable.incrementAndGet();
          slowest503Nanos = Math.max(slowest503Nanos, System.nanoTime() - sent);
        }
        next();
      });
    }

    Future<HttpResponse<Buffer>> send(String key, long amount) {
      return http.web().post("/v1/transfers").bearerTokenAuthentication(token).putHeader("Idempotency-Key", key)
          .timeout(30_000).sendJsonObject(new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit)
              .put("amount", amount).put("currency", "USD"));
    }
  }

  @Test
  void outageAndRecoveryLoseNothing() {
    String funding = http.openAccount("acme-admin", new JsonObject().put("currency", "USD").put("allowNegative", true))
        .getString("id");
    String target = http.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
    Traffic traffic = new Traffic(funding, target, http.token("acme-teller"));
    traffic.start(4);
    Eventually.until("20 acknowledged transfers", Duration.ofSeconds(30), traffic.acknowledged::get, n -> n >= 20);

    long cut = System.nanoTime();
    proxy.cut();
    HttpResponse<Buffer> down = Eventually.until("readiness down with the database", Duration.ofSeconds(30), DatabaseOutageTest::readiness,
        r -> r.statusCode() == 503 && r.bodyAsString().contains("\"id\":\"database\",\"status\":\"DOWN\""));
    assertThat(down.getHeader("Retry-After")).isNotNull();
    // the API port says so without the database's error text
    HttpResponse<Buffer> statusOnly = Eventually.until("API port readiness down", Duration.ofSeconds(30),
        () -> http.web().get("/health/ready").timeout(30_000).send().await(), r -> r.statusCode() == 503);
    assertThat(statusOnly.bodyAsJsonObject()).isEqualTo(new JsonObject().put("status", "DOWN"));
    assertThat(statusOnly.getHeader("Retry-After")).isEqualTo("1");
    long readinessDown = System.nanoTime() - cut;
    Eventually.until("10 unavailable answers", Duration.ofSeconds(30), () -> traffic.unavailable.get(), n -> n >= 10);
    long before = System.nanoTime();
    String duringKey = UUID.randomUUID().toString();
    traffic.amounts.put(duringKey, 1L);
    HttpResponse<Buffer> during = traffic.send(duringKey, 1).await();
    traffic.statuses.put(duringKey, during.statusCode());
    long oneDuring = System.nanoTime() - before;
    assertThat(during.statusCode()).isEqualTo(503);
    assertThat(during.getHeader("Retry-After")).isNotNull();
    assertThat(during.bodyAsJsonObject().getString("code")).isEqualTo("UNAVAILABLE");

    long restored = System.nanoTime();
    proxy.restore();
    Eventually.until("readiness up again", Duration.ofSeconds(30), () -> readiness().statusCode(), status -> status == 200);
    long readinessUp = System.nanoTime() - restored;
    int acknowledgedAtRestore = traffic.acknowledged.get();
    Eventually.until("5 more acknowledged transfers", Duration.ofSeconds(30), traffic.acknowledged::get, n -> n >= acknowledgedAtRestore + 5);
    long trafficBack = System.nanoTime() - restored;
    traffic.stopped = true;
    Eventually.until("the traffic to stop", Duration.ofSeconds(60), traffic.running::get, n -> n == 0);
    System.out.printf("MEASURE database outage: readiness down after %d ms, slowest 503 %d ms, one request during "
            + "the outage %d ms; after the database returned: readiness up after %d ms, transfers acknowledged again "
            + "after %d ms; %d acknowledged, %d unavailable%n", readinessDown / 1_000_000,
        traffic.slowest503Nanos / 1_000_000, oneDuring / 1_000_000, readinessUp / 1_000_000, trafficBack / 1_000_000,
        traffic.acknowledged.get(), traffic.unavailable.get());

    // Every transfer that was not acknowledged is retried with its key: it takes effect once, or replays.
    traffic.statuses.forEach((key, status) -> {
      if (status != 201) {
        HttpResponse<Buffer> retried = Eventually.until("the retried transfer created", Duration.ofSeconds(30),
            () -> traffic.send(key, traffic.amounts.get(key)).await(), r -> r.statusCode() == 201);
        traffic.transferIds.put(key, retried.bodyAsJsonObject().getString("id"));
      }
    });
    traffic.transferIds.values().forEach(id ->
        assertThat(http.get("acme-teller", "/v1/transfers/" + id).bodyAsJsonObject().getString("status")).isEqualTo("POSTED"));
    long sent = traffic.amounts.values().stream().mapToLong(Long::longValue).sum();
    JsonObject balance = http.get("acme-teller", "/v1/accounts/" + target).bodyAsJsonObject().getJsonObject("balance");
    assertThat(balance.getLong("posted")).isEqualTo(sent);
    JsonObject usd = http.get("acme-admin", "/v1/ledger/trial-balance").bodyAsJsonObject().getJsonArray("currencies")
        .stream().map(c -> (JsonObject) c).filter(c -> c.getString("currency").equals("USD")).findFirst().orElseThrow();
    assertThat(usd.getLong("sumPosted")).isZero();
    assertThat(usd.getLong("postedTransfers")).isEqualTo(traffic.amounts.size());
  }

  private static HttpResponse<Buffer> readiness() {
    // the database check's state is on the management listener
    return node.management().web().get("/health/ready").timeout(30_000).send().await();
  }
}
