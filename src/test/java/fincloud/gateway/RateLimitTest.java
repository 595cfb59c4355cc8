package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * globex-teller may make 5 requests per hour on this node; it bursts at ten times that while
 * acme-teller (the default, far higher limit) works alongside: globex gets exactly its quota and
 * 429 RATE_LIMITED with Retry-After for the rest, acme is never refused.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class RateLimitTest {
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject().put("rateLimits", new JsonObject()
        .put("clients", new JsonObject().put("globex-teller", new JsonObject().put("limit", 5).put("periodMs", 3_600_000))))));
  }

  @Test
  void aBurstingClientIsLimitedAndTheOthersAreNot() {
    String globex = http.token("globex-teller");
    String acme = http.token("acme-teller");
    List<Future<HttpResponse<Buffer>>> burst = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> others = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      burst.add(http.web().get("/v1/accounts/acc_x").bearerTokenAuthentication(globex).send());
      if (i % 2 == 0) {
        others.add(http.web().get("/v1/accounts/acc_y").bearerTokenAuthentication(acme).send());
      }
    }
    List<HttpResponse<Buffer>> globexAnswers = burst.stream().map(f -> f.await()).toList();
    assertThat(globexAnswers.stream().filter(r -> r.statusCode() == 404)).hasSize(5);
    List<HttpResponse<Buffer>> limited = globexAnswers.stream().filter(r -> r.statusCode() == 429).toList();
    assertThat(limited).hasSize(45);
    HttpResponse<Buffer> one = limited.get(0);
    assertThat(one.bodyAsJsonObject().getString("code")).isEqualTo("RATE_LIMITED");
    assertThat(one.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(Long.parseLong(one.getHeader("Retry-After"))).isBetween(1L, 3600L);

    assertThat(others.stream().map(f -> f.await()).map(HttpResponse::statusCode)).hasSize(25).containsOnly(404);
  }

  @Test
  void anInvalidTokenIsRefusedBeforeTheLimitIsCounted() {
    HttpResponse<Buffer> response = http.web().get("/v1/accounts").bearerTokenAuthentication("not-a-token").send().await();
    assertThat(response.statusCode()).isEqualTo(401);
  }
}
