package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.accounts.AccountsVerticle;
import fincloud.node.ConfigLoader;
import fincloud.node.NodeConfig;
import fincloud.shared.PoolSettings;
import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node whose accounts service is not running: its breaker opens after a few failures, the
 * gateway then answers 503 with Retry-After at once while other services go on, readiness stays
 * up and lists the open breaker, /metrics shows it; when accounts comes up the breaker closes.
 */
class CircuitBreakerTest {
  static Vertx vertx;
  static TestNode node;
  static TestClient http;

  @BeforeAll
  static void start() {
    vertx = MetricsVertx.create();
    node = TestNode.start(vertx, new JsonObject().put("FINCLOUD_ROLES", "gateway,payments,risk,audit")
        .put("gateway", new JsonObject().put("breaker", new JsonObject().put("maxFailures", 3).put("resetTimeoutMs", 1000))));
    http = node.client();
  }

  @AfterAll
  static void stop() {
    http.close();
    node.stop();
    vertx.close().await();
  }

  @Test
  void opensOnAServiceThatIsDownAndClosesWhenItIsBack() {
    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> failing = http.get("acme-teller", "/v1/accounts");
      assertThat(failing.statusCode()).isEqualTo(503);
      assertThat(failing.bodyAsJsonObject().getString("detail")).contains("no node runs the service");
    }

    HttpResponse<Buffer> open = http.get("acme-teller", "/v1/accounts");
    assertThat(open.statusCode()).isEqualTo(503);
    assertThat(open.bodyAsJsonObject().getString("code")).isEqualTo("UNAVAILABLE");
    assertThat(open.bodyAsJsonObject().getString("detail")).contains("circuit breaker is open");
    assertThat(open.getHeader("Retry-After")).isEqualTo("1");
    assertThat(open.getHeader("Content-Type")).startsWith("application/problem+json");

    // Another service's breaker is not touched: payments answers its own refusal.
    assertThat(http.get("acme-teller", "/v1/transfers/tr_none").statusCode()).isEqualTo(404);

    JsonObject ready = ready();
    assertThat(ready.getString("status")).isEqualTo("UP");
    assertThat(breakers(ready).getString("accounts")).isIn("OPEN", "HALF_OPEN");
    assertThat(breakers(ready).getString("payments")).isEqualTo("CLOSED");
    assertThat(node.management().web().get("/metrics").send().await().bodyAsString())
        .containsPattern("fincloud_gateway_breaker_state\\{service=\"accounts\"} [12]\\.0")
        .contains("fincloud_gateway_breaker_state{service=\"payments\"} 0.0")
        .containsPattern("fincloud_gateway_breaker_rejected_total\\{service=\"accounts\"} [1-9]");

    deployAccounts();
    Eventually.until("accounts answering again", Duration.ofSeconds(30), () -> http.get("acme-teller", "/v1/accounts").statusCode(), s -> s == 200);
    assertThat(breakers(ready()).getString("accounts")).isEqualTo("CLOSED");
  }

  @Test
  void businessRefusalsDoNotOpenABreaker() {
    for (int i = 0; i < 10; i++) {
      assertThat(http.get("acme-teller", "/v1/transfers/tr_missing_" + i).statusCode()).isEqualTo(404);
    }
    assertThat(breakers(ready()).getString("payments")).isEqualTo("CLOSED");
  }

  private static JsonObject ready() {
    // the checks' data is on the management listener
    HttpResponse<Buffer> response = node.management().web().get("/health/ready").send().await();
    assertThat(response.statusCode()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static JsonObject breakers(JsonObject ready) {
    return ready.getJsonArray("checks").stream().map(c -> (JsonObject) c)
        .filter(c -> c.getString("id").equals("breakers")).findFirst().orElseThrow().getJsonObject("data");
  }

  private static void deployAccounts() {
    NodeConfig config = new NodeConfig(ConfigLoader.load(vertx, null).await());
    PoolSettings database = config.database().at(node.pgUrl());
    vertx.deployVerticle(() -> new AccountsVerticle(database, config.privacy()), new DeploymentOptions()).await();
  }
}
