package fincloud.risk;

import static fincloud.risk.RiskFixtures.funded;
import static fincloud.risk.RiskFixtures.transfer;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.idempotency.IdempotencyRecords;
import fincloud.node.DatabaseSettings;
import fincloud.shared.Addresses;
import fincloud.shared.CanonicalJson;
import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Risk unavailable: payments' circuit breaker and the default fallback (decline), visible in
 * /metrics, audited, not kept for the key, and recovery when risk is back. The node runs on a
 * Vert.x with metrics, as a real node does, so that /metrics has something to say.
 */
@ExtendWith(NodeExtension.class)
class RiskFallbackTest {
  private static final Pattern BREAKER = Pattern.compile("fincloud_payments_breaker_state\\{service=\"risk\",?} (\\S+)");
  private static final Pattern DECLINES = Pattern.compile("fincloud_risk_fallback_total\\{decision=\"DECLINE\",?} (\\S+)");

  static Vertx vertx;
  static TestNode node;
  static TestClient http;

  /** The Vert.x with metrics is the node's own: it closes it when it stops. */
  @OwnNode
  static TestNode start() {
    vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)).setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory()).build();
    return TestNode.startOnItsOwnVertx(vertx, new JsonObject().put("risk", new JsonObject().put("timeoutMs", 200)
        .put("breaker", new JsonObject().put("maxFailures", 3).put("resetTimeoutMs", 2000))));
  }

  /** Each test starts with risk answering and the breaker closed again. */
  @BeforeEach
  void riskAnswers() {
    String source = http.openAccount("acme-admin", new JsonObject().put("currency", "USD")
        .put("overdraftLimit", 1_000_000)).getString("id");
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    HttpResponse<Buffer> answered = Eventually.until("a transfer approved by risk", Duration.ofSeconds(15),
        () -> http.transfer("acme-teller", source, target, 1, "USD"), r -> r.statusCode() == 201);
    assertThat(answered.statusCode()).as(answered.bodyAsString()).isEqualTo(201);
  }

  private static double metric(Pattern pattern) {
    String metrics = node.management().get(null, "/metrics").bodyAsString();
    Matcher matcher = pattern.matcher(metrics);
    return matcher.find() ? Double.parseDouble(matcher.group(1)) : Double.NaN;
  }

  private static boolean declinedByFallback(HttpResponse<Buffer> response) {
    return response.statusCode() == 422 && response.bodyAsJsonObject().getBoolean("fallback", false);
  }

  @Test
  void withRiskGoneTransfersAreDeclinedAtOnceUntilItComesBack() {
    String source = funded(http, "USD", 10_000);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    assertThat(metric(BREAKER)).isZero();
    assertThat(BackendRegistries.getDefaultNow()).isInstanceOf(MeterRegistry.class);

    node.undeploy("risk");
    boolean redeployed = false;
    try {
      String key = UUID.randomUUID().toString();
      HttpResponse<Buffer> refused = http.post("acme-teller", "/v1/transfers", transfer(source, target, 10, "USD"), key);
      assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(422);
      JsonObject problem = refused.bodyAsJsonObject();
      assertThat(problem.getString("code")).isEqualTo("RISK_DECLINED");
      assertThat(problem.getBoolean("fallback")).isTrue();
      assertThat(problem.getJsonArray("reasons").getJsonObject(0).getString("type")).isEqualTo("FALLBACK");

      // the breaker opens after a few failures; then risk is not even asked
      double state = Eventually.until("the risk breaker open", Duration.ofSeconds(10), () -> {
        assertThat(declinedByFallback(http.transfer("acme-teller", source, target, 10, "USD"))).isTrue();
        return metric(BREAKER);
      }, s -> s == 2.0);
      assertThat(state).as("breaker state in /metrics").isEqualTo(2.0);
      assertThat(metric(DECLINES)).isGreaterThanOrEqualTo(3.0);
      // readiness lists the open breaker without failing: the node still answers, by its fallback
      HttpResponse<Buffer> ready = node.management().get(null, "/health/ready");
      assertThat(ready.statusCode()).as(ready.bodyAsString()).isEqualTo(200);
      assertThat(ready.bodyAsString()).contains("\"risk\":\"OPEN\"");

      List<JsonObject> audited = RiskFixtures.outbox(node.pgUrl(), "TRANSFER_REJECTED").stream()
          .filter(row -> key.equals(row.getJsonObject("data").getString("idempotencyKey"))).toList();
      assertThat(audited).singleElement().satisfies(row -> {
        assertThat(row.getString("entityId")).isEqualTo(source);
        assertThat(row.getJsonObject("data").getString("code")).isEqualTo("RISK_DECLINED");
        assertThat(row.getJsonObject("data").getBoolean("fallback")).isTrue();
      });
      assertThat(http.get("acme-teller", "/v1/accounts/" + target).bodyAsJsonObject().getJsonObject("balance")
          .getLong("posted")).isZero();

      node.deploy("risk");
      redeployed = true;
      // the same key, retried once risk is back, is decided afresh: the fallback's refusal was not kept
      HttpResponse<Buffer> retried = Eventually.until("the retry created once risk is back", Duration.ofSeconds(15),
          () -> http.post("acme-teller", "/v1/transfers", transfer(source, target, 10, "USD"), key),
          r -> r.statusCode() == 201);
      assertThat(retried.statusCode()).as(retried.bodyAsString()).isEqualTo(201);
      assertThat(retried.getHeader("Idempotent-Replayed")).isNull();
      assertThat(retried.bodyAsJsonObject().getJsonObject("risk").containsKey("fallback")).isFalse();
      assertThat(metric(BREAKER)).isZero();
    } finally {
      if (!redeployed) {
        node.deploy("risk");
      }
    }
  }

  /**
   * Node loss: an attempt whose group transaction is open on a frozen node holds its key's lock; a
   * retry elsewhere, with risk unavailable, must not be told "declined" (the frozen node may still
   * commit), and once that attempt has committed the retry gets its answer. The frozen node's
   * transaction is played here by a connection that holds the key's lock and then stores a 201.
   */
  @Test
  void theFallbackNeverRefusesAKeyThatAnotherAttemptMayStillCommit() throws Exception {
    String source = funded(http, "USD", 10_000);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    String key = UUID.randomUUID().toString();
    long lock = new IdempotencyRecords.Key("acme", key).lockId();
    node.undeploy("risk");
    try (Connection frozen = DatabaseSettings.connect(node.pgUrl())) {
      frozen.setAutoCommit(false);
      try (var statement = frozen.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        statement.setLong(1, lock);
        statement.execute();
      }
      HttpResponse<Buffer> whileFrozen = http.post("acme-teller", "/v1/transfers", transfer(source, target, 10, "USD"), key);
      assertThat(whileFrozen.statusCode()).as(whileFrozen.bodyAsString()).isEqualTo(409);
      assertThat(whileFrozen.bodyAsJsonObject().getString("code")).isEqualTo("IDEMPOTENCY_IN_FLIGHT");

      // the frozen attempt resumes and commits its transfer's answer under the key
      try (var statement = frozen.prepareStatement("INSERT INTO idempotency_records (tenant, key, request_hash, status,"
          + " response) VALUES ('acme', ?, ?, 201, '{\"id\":\"trf_from_the_frozen_node\"}'::jsonb)")) {
        statement.setString(1, key);
        statement.setString(2, CanonicalJson.sha256Hex("POST /v1/transfers\n"
            + CanonicalJson.of(transfer(source, target, 10, "USD"))));
        statement.execute();
      }
      frozen.commit();
    } finally {
      node.deploy("risk");
    }
    HttpResponse<Buffer> retried = http.post("acme-teller", "/v1/transfers", transfer(source, target, 10, "USD"), key);
    assertThat(retried.statusCode()).as(retried.bodyAsString()).isEqualTo(201);
    assertThat(retried.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(retried.bodyAsJsonObject().getString("id")).isEqualTo("trf_from_the_frozen_node");
  }

  @Test
  void aStalledRiskTimesOutIntoTheFallback() {
    String source = funded(http, "USD", 10_000);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    node.undeploy("risk");
    // a risk that takes the request and never answers
    MessageConsumer<JsonObject> stalled = vertx.eventBus().consumer(Addresses.RISK_SCORE, message -> { });
    stalled.completion().await();
    try {
      HttpResponse<Buffer> refused = http.transfer("acme-teller", source, target, 10, "USD");
      assertThat(declinedByFallback(refused)).as(refused.bodyAsString()).isTrue();
    } finally {
      stalled.unregister().await();
      node.deploy("risk");
    }
    HttpResponse<Buffer> back = Eventually.until("transfers created once risk is back", Duration.ofSeconds(15),
        () -> http.transfer("acme-teller", source, target, 10, "USD"), r -> r.statusCode() == 201);
    assertThat(back.statusCode()).as(back.bodyAsString()).isEqualTo(201);
  }
}
