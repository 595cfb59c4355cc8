package fincloud.risk;

import static fincloud.risk.RiskFixtures.funded;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The configurable fallback: small transfers in one currency go ahead while risk is away, recorded as such. */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class RiskFallbackApproveBelowTest {
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject().put("risk", new JsonObject().put("timeoutMs", 200)
        .put("fallback", new JsonObject().put("mode", "APPROVE_BELOW").put("currency", "USD").put("amount", 10_000))));
  }

  @Test
  void belowTheAmountTransfersGoAheadMarkedAsFallback() {
    String source = funded(http, "USD", 100_000);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    String euros = funded(http, "EUR", 100_000);
    String euroTarget = RiskFixtures.account(http, "acme-teller", "EUR");
    node.undeploy("risk");
    try {
      HttpResponse<Buffer> small = http.transfer("acme-teller", source, target, 9_999, "USD");
      assertThat(small.statusCode()).as(small.bodyAsString()).isEqualTo(201);
      JsonObject risk = small.bodyAsJsonObject().getJsonObject("risk");
      assertThat(risk.getString("decision")).isEqualTo("APPROVE");
      assertThat(risk.getBoolean("fallback")).isTrue();
      assertThat(http.get("acme-teller", "/v1/transfers/" + small.bodyAsJsonObject().getString("id"))
          .bodyAsJsonObject().getJsonObject("risk").getBoolean("fallback")).isTrue();

      HttpResponse<Buffer> large = http.transfer("acme-teller", source, target, 10_000, "USD");
      assertThat(large.statusCode()).isEqualTo(422);
      assertThat(large.bodyAsJsonObject().getString("code")).isEqualTo("RISK_DECLINED");
      assertThat(large.bodyAsJsonObject().getJsonArray("reasons").getJsonObject(0).getString("message"))
          .contains("below 10000 USD");

      HttpResponse<Buffer> otherCurrency = http.transfer("acme-teller", euros, euroTarget, 1, "EUR");
      assertThat(otherCurrency.statusCode()).isEqualTo(422);
    } finally {
      node.deploy("risk");
    }
  }
}
