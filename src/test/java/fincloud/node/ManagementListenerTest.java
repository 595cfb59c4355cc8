package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.shared.InvalidSettingException;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} and detailed health were on the public API port (tenants in meter names,
 * database error texts in readiness): they are on the management listener now, which serves no
 * API, and the API port says the status only. A node without the gateway role does the same.
 */
class ManagementListenerTest {
  private static Vertx vertx;
  private static TestNode gatewayNode;
  private static TestNode paymentsNode;

  @BeforeAll
  static void start() {
    vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)).setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory()).build();
    gatewayNode = TestNode.startOnItsOwnVertx(vertx, new JsonObject());
    paymentsNode = TestNode.start(Vertx.vertx(), new JsonObject().put("FINCLOUD_ROLES", "accounts,payments,risk,audit"));
  }

  @AfterAll
  static void stop() {
    gatewayNode.stop();
    Vertx own = paymentsNode.vertx();
    paymentsNode.stop();
    own.close().await();
  }

  @Test
  void theApiPortServesNoMetricsAndStatusOnlyHealth() {
    for (TestNode node : new TestNode[] {gatewayNode, paymentsNode}) {
      TestClient api = node.client();
      try {
        assertThat(api.web().get("/metrics").send().await().statusCode()).isEqualTo(404);
        HttpResponse<Buffer> ready = api.web().get("/health/ready").send().await();
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.bodyAsJsonObject()).isEqualTo(new JsonObject().put("status", "UP"));
        assertThat(api.web().get("/health/live").send().await().bodyAsJsonObject())
            .isEqualTo(new JsonObject().put("status", "UP"));
      } finally {
        api.close();
      }
    }
  }

  @Test
  void theManagementListenerServesMetricsAndEveryCheck() {
    for (TestNode node : new TestNode[] {gatewayNode, paymentsNode}) {
      assertThat(node.managementPort()).isNotEqualTo(node.port());
      HttpResponse<Buffer> metrics = node.management().web().get("/metrics").send().await();
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.bodyAsString()).contains("# TYPE");
      HttpResponse<Buffer> ready = node.management().web().get("/health/ready").send().await();
      assertThat(ready.statusCode()).as(ready.bodyAsString()).isEqualTo(200);
      assertThat(ready.bodyAsString()).contains("\"id\":\"database\"", "\"id\":\"breakers\"");
    }
  }

  @Test
  void aNodeWhoseRoleCouldRewriteTheAuditTablesSaysSoInItsDetailedHealthAndStaysReady() {
    // the test database's role owns the tables, as a node run without FINCLOUD_PG_MIGRATION_URL would
    HttpResponse<Buffer> ready = gatewayNode.management().web().get("/health/ready").send().await();
    assertThat(ready.statusCode()).as(ready.bodyAsString()).isEqualTo(200);
    io.vertx.core.json.JsonObject check = ready.bodyAsJsonObject().getJsonArray("checks").stream()
        .map(io.vertx.core.json.JsonObject.class::cast).filter(c -> "auditPrivileges".equals(c.getString("id")))
        .findFirst().orElseThrow(() -> new AssertionError("no auditPrivileges check in " + ready.bodyAsString()));
    assertThat(check.getString("status")).isEqualTo("UP");
    assertThat(check.getJsonObject("data").getBoolean("runtimeRoleCanRewriteAuditTables")).isTrue();
    assertThat(check.getJsonObject("data").getString("warning")).contains("fincloud_runtime");
  }

  @Test
  void theManagementListenerServesNoApi() {
    TestClient management = gatewayNode.management();
    assertThat(management.web().get("/v1/accounts").send().await().statusCode()).isEqualTo(404);
    assertThat(management.web().post("/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", "client_credentials").add("client_id", "acme-teller")
        .add("client_secret", "acme-teller-secret")).await().statusCode()).isEqualTo(404);
    assertThat(management.web().get("/openapi.yaml").send().await().statusCode()).isEqualTo(404);
  }

  @Test
  void theManagementListenerIsOnLoopbackAtTheHttpPortPlus1000ByDefault() {
    JsonObject defaults = ConfigLoader.defaults();
    NodeConfig config = new NodeConfig(defaults.copy().put("FINCLOUD_HTTP_PORT", 8081));
    assertThat(config.identity().managementHost()).isEqualTo("127.0.0.1");
    assertThat(config.identity().managementPort()).isEqualTo(9081);
    assertThat(new NodeConfig(defaults.copy().put("FINCLOUD_HTTP_PORT", 8081).put("FINCLOUD_MANAGEMENT_PORT", 7000))
        .identity().managementPort()).isEqualTo(7000);
    for (Map.Entry<Integer, Integer> ports : Map.of(8081, 8081, 65_000, -1).entrySet()) {
      JsonObject refused = defaults.copy().put("FINCLOUD_HTTP_PORT", ports.getKey());
      if (ports.getValue() >= 0) {
        refused.put("FINCLOUD_MANAGEMENT_PORT", ports.getValue());
      }
      assertThatThrownBy(() -> new NodeConfig(refused)).isInstanceOf(InvalidSettingException.class)
          .hasMessageContaining("FINCLOUD_MANAGEMENT_PORT");
    }
  }
}
