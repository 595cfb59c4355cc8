package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Funds;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Health and the OpenAPI document on the API's port, metrics and detailed health on the
 * management listener: all without a token.
 */
@ExtendWith(NodeExtension.class)
class OperationalRoutesTest {
  static TestClient http;
  static TestNode node;

  /** With metrics on, as the node's launcher builds its Vert.x. */
  @OwnNode
  static TestNode start() {
    Vertx vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)).setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory()).build();
    return TestNode.startOnItsOwnVertx(vertx, new JsonObject());
  }

  private static HttpResponse<Buffer> get(String path) {
    return http.web().get(path).send().await();
  }

  @Test
  void livenessAndReadinessNeedNoToken() {
    HttpResponse<Buffer> live = get("/health/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.bodyAsJsonObject().getString("status")).isEqualTo("UP");
    HttpResponse<Buffer> ready = get("/health/ready");
    assertThat(ready.statusCode()).as(ready.bodyAsString()).isEqualTo(200);
    assertThat(ready.bodyAsJsonObject().getString("status")).isEqualTo("UP");
    HttpResponse<Buffer> detailed = node.management().web().get("/health/ready").send().await();
    assertThat(detailed.statusCode()).as(detailed.bodyAsString()).isEqualTo(200);
    assertThat(detailed.bodyAsString()).contains("database");
  }

  @Test
  void metricsArePrometheusTextIncludingTheLedgersGroups() {
    String account = Funds.fundedAccount(http, "acme-teller", "EUR", 100);
    assertThat(account).isNotNull();
    HttpResponse<Buffer> metrics = node.management().web().get("/metrics").send().await();
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.getHeader("Content-Type")).startsWith("text/plain");
    assertThat(metrics.bodyAsString()).contains("# TYPE").contains("fincloud_ledger_group_size");
  }

  @Test
  void theOpenApiDocumentIsServed() {
    HttpResponse<Buffer> openApi = get("/openapi.yaml");
    assertThat(openApi.statusCode()).isEqualTo(200);
    assertThat(openApi.bodyAsString()).startsWith("openapi: 3").contains("/v1/transfers").contains("/v1/accounts")
        .contains("/v1/ledger/trial-balance").contains("/oauth/token");
  }
}
