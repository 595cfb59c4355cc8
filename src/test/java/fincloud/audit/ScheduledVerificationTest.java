package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Full verification on a schedule ({@code audit.fullVerificationIntervalSeconds}): a chain nobody
 * asked to verify is verified in the background, and again once the interval has passed, never
 * twice within it.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class ScheduledVerificationTest {
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject().put("audit", new JsonObject()
        .put("fullVerificationIntervalSeconds", 2)));
  }

  @Test
  void aChainIsVerifiedInTheBackgroundOncePerInterval() {
    http.openAccount("acme-teller", new JsonObject().put("currency", "USD"));
    JsonObject first = Eventually.until("a scheduled full verification", Duration.ofSeconds(30),
        () -> http.get("acme-auditor", "/v1/audit/full-verification"),
        answer -> answer.statusCode() == 200 && "DONE".equals(answer.bodyAsJsonObject().getString("status")))
        .bodyAsJsonObject();
    assertThat(first.getJsonObject("verdict").getBoolean("valid")).as(first.encode()).isTrue();
    assertThat(first.getLong("checked")).isGreaterThanOrEqualTo(1);

    JsonObject next = Eventually.until("the next one, an interval later", Duration.ofSeconds(30),
        () -> http.get("acme-auditor", "/v1/audit/full-verification").bodyAsJsonObject(),
        latest -> latest.getLong("id") > first.getLong("id") && "DONE".equals(latest.getString("status")));
    long apartMs = java.time.Instant.parse(next.getString("startedAt")).toEpochMilli()
        - java.time.Instant.parse(first.getString("startedAt")).toEpochMilli();
    assertThat(apartMs).as("started at least the interval apart").isGreaterThanOrEqualTo(2000);
  }
}
