package fincloud.risk;

import static fincloud.risk.RiskFixtures.funded;
import static fincloud.risk.RiskFixtures.putRules;
import static fincloud.risk.RiskFixtures.rule;
import static fincloud.risk.RiskFixtures.transfer;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Velocity limits hold exactly under concurrency, and count only what the ledger accepted. Risk
 * runs as several instances on different event loops here, so that concurrent scorings of one
 * account really race for its window (as they do across the nodes of a cluster).
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class VelocityApiTest {
  static final int RISK_INSTANCES = 4;
  static Vertx vertx;
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx testVertx) {
    vertx = testVertx;
    return TestNode.start(vertx, new JsonObject().put("risk", new JsonObject().put("instances", RISK_INSTANCES)));
  }

  @Test
  void thirtyTwoSimultaneousTransfersUnderAMaxOfTenGiveExactlyTen() {
    putRules(http, "acme-admin");
    String source = funded(http, "USD", 1_000_000);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    RiskFixtures.putRulesAndAwait(http, RISK_INSTANCES, rule("ten", "VELOCITY_COUNT").put("windowSeconds", 3600).put("max", 10));

    // 32 connections, so that the 32 requests are in flight together
    WebClient concurrent = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(node.port()), new PoolOptions().setHttp1MaxSize(32));
    String token = http.token("acme-teller");
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      sent.add(concurrent.post("/v1/transfers").bearerTokenAuthentication(token)
          .putHeader("Idempotency-Key", UUID.randomUUID().toString())
          .sendJsonObject(transfer(source, target, 10, "USD")));
    }
    Future.all(sent).await();
    concurrent.close();

    Map<String, Long> outcomes = sent.stream().map(Future::result).collect(Collectors.groupingBy(
        r -> r.statusCode() + " " + r.bodyAsJsonObject().getString("code", r.bodyAsJsonObject().getString("status")),
        Collectors.counting()));
    assertThat(outcomes).isEqualTo(Map.of("201 POSTED", 10L, "422 RISK_DECLINED", 22L));
    JsonObject balance = http.get("acme-teller", "/v1/accounts/" + target).bodyAsJsonObject().getJsonObject("balance");
    assertThat(balance.getLong("posted")).isEqualTo(100);
  }

  @Test
  void aTransferTheLedgerRefusesDoesNotUseUpTheWindow() {
    putRules(http, "acme-admin");
    String source = funded(http, "USD", 100);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    RiskFixtures.putRulesAndAwait(http, RISK_INSTANCES, rule("two", "VELOCITY_COUNT").put("windowSeconds", 3600).put("max", 2));

    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> tooMuch = http.transfer("acme-teller", source, target, 1000, "USD");
      assertThat(tooMuch.statusCode()).isEqualTo(422);
      assertThat(tooMuch.bodyAsJsonObject().getString("code")).isEqualTo("INSUFFICIENT_FUNDS");
    }
    assertThat(http.transfer("acme-teller", source, target, 10, "USD").statusCode()).isEqualTo(201);
    assertThat(http.transfer("acme-teller", source, target, 10, "USD").statusCode()).isEqualTo(201);
    HttpResponse<Buffer> third = http.transfer("acme-teller", source, target, 10, "USD");
    assertThat(third.bodyAsJsonObject().getString("code")).isEqualTo("RISK_DECLINED");
  }

  @Test
  void aReplayedKeyTakesNoSecondSlot() {
    putRules(http, "acme-admin");
    String source = funded(http, "USD", 1000);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    RiskFixtures.putRulesAndAwait(http, RISK_INSTANCES, rule("two", "VELOCITY_COUNT").put("windowSeconds", 3600).put("max", 2));

    String key = UUID.randomUUID().toString();
    assertThat(http.post("acme-teller", "/v1/transfers", transfer(source, target, 10, "USD"), key).statusCode())
        .isEqualTo(201);
    HttpResponse<Buffer> replay = http.post("acme-teller", "/v1/transfers", transfer(source, target, 10, "USD"), key);
    assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(http.transfer("acme-teller", source, target, 10, "USD").statusCode()).isEqualTo(201);
    assertThat(http.transfer("acme-teller", source, target, 10, "USD").bodyAsJsonObject().getString("code"))
        .isEqualTo("RISK_DECLINED");
  }

  @Test
  void aVoidedHoldGivesItsSlotBack() {
    putRules(http, "acme-admin");
    String source = funded(http, "USD", 1000);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    RiskFixtures.putRulesAndAwait(http, RISK_INSTANCES, rule("two", "VELOCITY_COUNT").put("windowSeconds", 3600).put("max", 2));

    String held = hold(source, target, null);
    assertThat(http.transfer("acme-teller", source, target, 10, "USD").statusCode()).isEqualTo(201);
    assertThat(http.transfer("acme-teller", source, target, 10, "USD").bodyAsJsonObject().getString("code"))
        .isEqualTo("RISK_DECLINED");
    HttpResponse<Buffer> voided = http.post("acme-teller", "/v1/transfers/" + held + "/void", null,
        UUID.randomUUID().toString());
    assertThat(voided.statusCode()).isEqualTo(200);
    assertThat(voided.bodyAsJsonObject().getJsonObject("risk").containsKey("velocitySlot"))
        .as("the slot is kept for payments, not shown").isFalse();
    approvedOnceTheSlotIsBack(source, target);
  }

  @Test
  void anExpiredHoldGivesItsSlotBack() {
    putRules(http, "acme-admin");
    String source = funded(http, "USD", 1000);
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    RiskFixtures.putRulesAndAwait(http, RISK_INSTANCES, rule("two", "VELOCITY_COUNT").put("windowSeconds", 3600).put("max", 2));

    hold(source, target, 1);
    assertThat(http.transfer("acme-teller", source, target, 10, "USD").statusCode()).isEqualTo(201);
    approvedOnceTheSlotIsBack(source, target);
  }

  /** A hold of 10 within the velocity rule; its id. */
  private static String hold(String source, String target, Integer expiresInSeconds) {
    JsonObject request = transfer(source, target, 10, "USD").put("mode", "PENDING");
    if (expiresInSeconds != null) {
      request.put("expiresInSeconds", expiresInSeconds);
    }
    HttpResponse<Buffer> hold = http.post("acme-teller", "/v1/transfers", request, UUID.randomUUID().toString());
    assertThat(hold.statusCode()).isEqualTo(201);
    return hold.bodyAsJsonObject().getString("id");
  }

  /** The window is full until the hold's slot comes back (a declined attempt takes none). */
  private static void approvedOnceTheSlotIsBack(String source, String target) {
    Eventually.until("a transfer within the limit is approved again", Duration.ofSeconds(15),
        () -> http.transfer("acme-teller", source, target, 10, "USD").statusCode(), status -> status == 201);
  }
}
