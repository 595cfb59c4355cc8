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
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Transfers through the API against each rule type and action: declines, reviews and their holds. */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class RiskDecisionsApiTest {
  static TestNode node;
  static TestClient http;

  String source;
  String target;

  /** Its own node: it sets the acme tenant's rule set, which would decide other classes' transfers. */
  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx);
  }

  /** Fresh accounts, funded while no rule stands in the way. */
  @BeforeEach
  void accounts() {
    putRules(http, "acme-admin");
    source = funded(http, "USD", 1_000_000);
    target = RiskFixtures.account(http, "acme-teller", "USD");
  }

  private static JsonObject declined(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(422);
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getString("code")).isEqualTo("RISK_DECLINED");
    return problem;
  }

  private static JsonObject created(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  private static long balance(String account) {
    return http.get("acme-teller", "/v1/accounts/" + account).bodyAsJsonObject().getJsonObject("balance")
        .getLong("posted");
  }

  @Test
  void maxAmountDeclinesWithItsReasonAndTheRefusalIsAuditedAndKept() {
    putRules(http, "acme-admin", rule("max-usd", "MAX_AMOUNT").put("currency", "USD").put("max", 5000));
    JsonObject approved = created(http.transfer("acme-teller", source, target, 5000, "USD"));
    assertThat(approved.getJsonObject("risk").getString("decision")).isEqualTo("APPROVE");
    assertThat(approved.getJsonObject("risk").getInteger("score")).isBetween(0, 49);

    String key = UUID.randomUUID().toString();
    JsonObject problem = declined(http.post("acme-teller", "/v1/transfers", transfer(source, target, 5001, "USD"), key));
    assertThat(problem.getJsonArray("reasons")).containsExactly(new JsonObject().put("ruleId", "max-usd")
        .put("type", "MAX_AMOUNT").put("message", "the amount 5001 USD is above the maximum of 5000"));
    assertThat(balance(target)).isEqualTo(5000);

    // a decision of risk itself is kept for the key like any refusal of the operation
    HttpResponse<Buffer> replay = http.post("acme-teller", "/v1/transfers", transfer(source, target, 5001, "USD"), key);
    assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.bodyAsJsonObject()).isEqualTo(problem);

    List<JsonObject> rejected = RiskFixtures.outbox(node.pgUrl(), "TRANSFER_REJECTED").stream()
        .filter(row -> key.equals(row.getJsonObject("data").getString("idempotencyKey"))).toList();
    assertThat(rejected).singleElement().satisfies(row -> {
      assertThat(row.getString("entityId")).isEqualTo(source);
      assertThat(row.getJsonObject("data").getString("code")).isEqualTo("RISK_DECLINED");
      assertThat(row.getJsonObject("data").getJsonArray("reasons")).isEqualTo(problem.getJsonArray("reasons"));
    });
  }

  @Test
  void blocklistDeclinesEitherSide() {
    String listed = RiskFixtures.account(http, "acme-teller", "USD");
    putRules(http, "acme-admin", rule("sanctions", "BLOCKLIST").put("accountIds", new JsonArray().add(listed)));
    JsonObject toListed = declined(http.transfer("acme-teller", source, listed, 10, "USD"));
    assertThat(toListed.getJsonArray("reasons").getJsonObject(0).getString("type")).isEqualTo("BLOCKLIST");
    created(http.transfer("acme-teller", source, target, 10, "USD"));
  }

  @Test
  void newAccountLimitDeclinesYoungAccountsOnly() {
    putRules(http, "acme-admin", rule("young", "NEW_ACCOUNT_LIMIT").put("ageSeconds", 3600).put("currency", "USD")
        .put("max", 100));
    created(http.transfer("acme-teller", source, target, 100, "USD"));
    JsonObject problem = declined(http.transfer("acme-teller", source, target, 101, "USD"));
    assertThat(problem.getJsonArray("reasons").getJsonObject(0).getString("ruleId")).isEqualTo("young");
    putRules(http, "acme-admin", rule("young", "NEW_ACCOUNT_LIMIT").put("ageSeconds", 1).put("currency", "USD")
        .put("max", 100));
    JsonObject old = Eventually.until("the old account's transfer posted", Duration.ofSeconds(10),
        () -> http.transfer("acme-teller", source, target, 101, "USD"), r -> r.statusCode() == 201).bodyAsJsonObject();
    assertThat(old.getString("status")).isEqualTo("POSTED");
  }

  @Test
  void velocityCountRefusesTheTransferAfterMax() {
    putRules(http, "acme-admin", rule("burst", "VELOCITY_COUNT").put("windowSeconds", 3600).put("max", 3));
    for (int i = 0; i < 3; i++) {
      created(http.transfer("acme-teller", source, target, 1, "USD"));
    }
    JsonObject fourth = declined(http.transfer("acme-teller", source, target, 1, "USD"));
    assertThat(fourth.getJsonArray("reasons").getJsonObject(0).getString("type")).isEqualTo("VELOCITY_COUNT");
    // per debit account: the credit side of those transfers can still send
    created(http.transfer("acme-teller", target, source, 1, "USD"));
  }

  @Test
  void velocityAmountReviewsWhatGoesOverTheSum() {
    putRules(http, "acme-admin", rule("hourly", "VELOCITY_AMOUNT").put("windowSeconds", 3600).put("currency", "USD")
        .put("max", 100).put("action", "REVIEW"));
    assertThat(created(http.transfer("acme-teller", source, target, 60, "USD")).getString("status")).isEqualTo("POSTED");
    JsonObject held = created(http.transfer("acme-teller", source, target, 60, "USD"));
    assertThat(held.getString("status")).isEqualTo("PENDING");
    assertThat(held.getJsonObject("risk").getString("decision")).isEqualTo("REVIEW");
    assertThat(held.getJsonObject("risk").getJsonArray("reasons").getJsonObject(0).getString("ruleId"))
        .isEqualTo("hourly");
  }

  @Test
  void reviewMakesAHoldThatOnlyARiskAdminMayPost() {
    putRules(http, "acme-admin", rule("big", "MAX_AMOUNT").put("currency", "USD").put("max", 1000)
        .put("action", "REVIEW"));
    JsonObject held = created(http.transfer("acme-teller", source, target, 5000, "USD"));
    assertThat(held.getString("status")).isEqualTo("PENDING");
    assertThat(held.getString("mode")).isEqualTo("IMMEDIATE");
    JsonObject risk = held.getJsonObject("risk");
    assertThat(risk.getString("decision")).isEqualTo("REVIEW");
    assertThat(risk.getInteger("score")).isBetween(50, 89);
    assertThat(risk.getJsonArray("reasons").getJsonObject(0).getString("ruleId")).isEqualTo("big");
    assertThat(Duration.between(Instant.parse(held.getString("createdAt")), Instant.parse(held.getString("expiresAt"))))
        .isEqualTo(Duration.ofHours(24));
    assertThat(balance(target)).isZero();

    String id = held.getString("id");
    HttpResponse<Buffer> teller = http.post("acme-teller", "/v1/transfers/" + id + "/post", new JsonObject());
    assertThat(teller.statusCode()).isEqualTo(403);
    assertThat(teller.bodyAsJsonObject().getString("code")).isEqualTo("FORBIDDEN");

    HttpResponse<Buffer> admin = http.post("acme-admin", "/v1/transfers/" + id + "/post", new JsonObject());
    assertThat(admin.statusCode()).as(admin.bodyAsString()).isEqualTo(200);
    assertThat(admin.bodyAsJsonObject().getString("status")).isEqualTo("POSTED");
    assertThat(balance(target)).isEqualTo(5000);
  }

  @Test
  void reviewHoldIsVoidedByARiskAdminOnlyAndKeepsItsRequestedExpiry() {
    putRules(http, "acme-admin", rule("big", "MAX_AMOUNT").put("currency", "USD").put("max", 1000)
        .put("action", "REVIEW"));
    JsonObject held = created(http.post("acme-teller", "/v1/transfers", transfer(source, target, 2000, "USD")
        .put("mode", "PENDING").put("expiresInSeconds", 600), UUID.randomUUID().toString()));
    assertThat(held.getString("mode")).isEqualTo("PENDING");
    assertThat(Duration.between(Instant.parse(held.getString("createdAt")), Instant.parse(held.getString("expiresAt"))))
        .isEqualTo(Duration.ofSeconds(600));
    String id = held.getString("id");
    assertThat(http.post("acme-teller", "/v1/transfers/" + id + "/void", null).statusCode()).isEqualTo(403);
    HttpResponse<Buffer> admin = http.post("acme-admin", "/v1/transfers/" + id + "/void", null);
    assertThat(admin.statusCode()).as(admin.bodyAsString()).isEqualTo(200);
    assertThat(admin.bodyAsJsonObject().getString("status")).isEqualTo("VOIDED");
    assertThat(http.get("acme-teller", "/v1/accounts/" + source).bodyAsJsonObject().getJsonObject("balance")
        .getLong("pending")).isZero();
  }

  @Test
  void aBatchItemNeedingReviewRefusesTheBatchAtItsIndex() {
    putRules(http, "acme-admin", rule("big", "MAX_AMOUNT").put("currency", "USD").put("max", 1000)
        .put("action", "REVIEW"));
    JsonObject batch = new JsonObject().put("transfers", new JsonArray()
        .add(transfer(source, target, 10, "USD"))
        .add(transfer(source, target, 5000, "USD"))
        .add(transfer(source, target, 10, "USD")));
    JsonObject problem = declined(http.post("acme-teller", "/v1/transfers/batch", batch, UUID.randomUUID().toString()));
    assertThat(problem.getInteger("index")).isEqualTo(1);
    assertThat(problem.getJsonArray("reasons").getJsonObject(0).getString("ruleId")).isEqualTo("big");
    assertThat(balance(target)).isZero();
  }
}
