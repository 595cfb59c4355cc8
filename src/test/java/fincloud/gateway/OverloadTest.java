package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.shared.Addresses;
import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node bounded to three requests in flight: while three are held inside (their messages to
 * accounts parked by an event-bus interceptor), the fourth is refused with 503 at once (before its
 * token is even looked at), operators
 * still reach health; once they are let go, requests are served again.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class OverloadTest {
  static TestNode node;
  static TestClient http;
  static final ConcurrentLinkedQueue<DeliveryContext<Object>> held = new ConcurrentLinkedQueue<>();
  static volatile boolean holding;

  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject().put("maxInFlight", 3)));
  }

  @BeforeAll
  static void prepare(Vertx vertx) {
    vertx.eventBus().addInboundInterceptor(delivery -> {
      // a call goes to the node-local twin first (local.<address>)
      if (holding && Addresses.clusterWide(delivery.message().address()).equals(Addresses.ACCOUNTS_GET)) {
        held.add(delivery);
      } else {
        delivery.next();
      }
    });
  }

  @Test
  void refusesPastTheBoundAtOnceAndRecovers() {
    String token = http.token("acme-teller");
    holding = true;
    List<Future<HttpResponse<Buffer>>> slow = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      slow.add(http.web().get("/v1/accounts/acc_held_" + i).bearerTokenAuthentication(token).send());
    }
    Eventually.until("three held requests", Duration.ofSeconds(10), held::size, size -> size == 3);

    HttpResponse<Buffer> refused = http.get("acme-teller", "/v1/accounts/acc_other");
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.bodyAsJsonObject().getString("code")).isEqualTo("UNAVAILABLE");
    assertThat(refused.bodyAsJsonObject().getString("detail")).contains("limit of 3 requests");
    assertThat(refused.getHeader("Retry-After")).isNotNull();
    assertThat(http.web().get("/v1/accounts/acc_other").bearerTokenAuthentication("forged").send().await().statusCode())
        .as("shed before its token is checked").isEqualTo(503);
    assertThat(http.web().get("/health/live").send().await().statusCode()).isEqualTo(200);

    holding = false;
    held.forEach(DeliveryContext::next);
    held.clear();
    for (Future<HttpResponse<Buffer>> response : slow) {
      assertThat(response.await().statusCode()).isEqualTo(404);
    }
    assertThat(http.get("acme-teller", "/v1/accounts/acc_other").statusCode()).isEqualTo(404);
  }
}
