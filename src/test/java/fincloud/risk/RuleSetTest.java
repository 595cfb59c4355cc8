package fincloud.risk;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.bus.Decision;
import fincloud.bus.RiskScore;
import fincloud.bus.ScoredTransfer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scoring of each rule type and action, without Vert.x. */
class RuleSetTest {
  private static final long NOW = 1_700_000_000_000L;
  private static final long DAY = 86_400;

  private static RuleSet rules(JsonObject... rules) {
    return new RuleSet(7, RuleSetParser.parse(new JsonObject().put("rules", new JsonArray(List.of((Object[]) rules)))));
  }

  private static ScoredTransfer usd(long amount) {
    return new ScoredTransfer("acc_a", "acc_b", amount, "USD", "IMMEDIATE", null, DAY * 30);
  }

  private static JsonObject rule(String id, String type) {
    return new JsonObject().put("id", id).put("type", type);
  }

  @Test
  void anEmptySetApprovesWithScoreZero() {
    RiskScore decision = RuleSet.EMPTY.score(usd(1_000_000), null, NOW);
    assertThat(decision.decision()).isEqualTo(Decision.APPROVE);
    assertThat(decision.score()).isZero();
    assertThat(decision.reasons()).isEmpty();
  }

  @Test
  void maxAmountAllowsTheMaxAndDeclinesAbove() {
    RuleSet set = rules(rule("max-usd", "MAX_AMOUNT").put("currency", "USD").put("max", 1000));
    assertThat(set.score(usd(1000), null, NOW).decision()).isEqualTo(Decision.APPROVE);
    assertThat(set.score(usd(1000), null, NOW).score()).isEqualTo(49);
    assertThat(set.score(usd(500), null, NOW).score()).isEqualTo(25);
    RiskScore declined = set.score(usd(1001), null, NOW);
    assertThat(declined.decision()).isEqualTo(Decision.DECLINE);
    assertThat(declined.score()).isEqualTo(90);
    assertThat(declined.reasons()).singleElement().satisfies(reason -> {
      assertThat(reason.ruleId()).isEqualTo("max-usd");
      assertThat(reason.type()).isEqualTo("MAX_AMOUNT");
      assertThat(reason.message()).contains("1001").contains("1000");
    });
  }

  @Test
  void aRuleInAnotherCurrencyDoesNotApply() {
    RuleSet set = rules(rule("max-eur", "MAX_AMOUNT").put("currency", "EUR").put("max", 10));
    assertThat(set.score(usd(1_000_000), null, NOW).decision()).isEqualTo(Decision.APPROVE);
  }

  @Test
  void reviewActionAsksForReviewAndDeclineWins() {
    RuleSet set = rules(
        rule("big", "MAX_AMOUNT").put("currency", "USD").put("max", 1000).put("action", "REVIEW"),
        rule("huge", "MAX_AMOUNT").put("currency", "USD").put("max", 5000));
    RiskScore review = set.score(usd(2000), null, NOW);
    assertThat(review.decision()).isEqualTo(Decision.REVIEW);
    assertThat(review.score()).isBetween(50, 89);
    assertThat(review.reasons()).extracting(RiskScore.Reason::ruleId).containsExactly("big");
    RiskScore decline = set.score(usd(6000), null, NOW);
    assertThat(decline.decision()).isEqualTo(Decision.DECLINE);
    assertThat(decline.reasons()).extracting(RiskScore.Reason::ruleId).containsExactly("big", "huge");
  }

  @Test
  void blocklistMatchesEitherSide() {
    RuleSet set = rules(rule("sanctions", "BLOCKLIST").put("accountIds", new JsonArray().add("acc_x")));
    assertThat(set.score(new ScoredTransfer("acc_x", "acc_b", 1, "USD", "IMMEDIATE", null, DAY), null, NOW).decision())
        .isEqualTo(Decision.DECLINE);
    RiskScore credit = set.score(new ScoredTransfer("acc_a", "acc_x", 1, "USD", "IMMEDIATE", null, DAY), null, NOW);
    assertThat(credit.decision()).isEqualTo(Decision.DECLINE);
    assertThat(credit.reasons().get(0).message()).contains("acc_x");
    assertThat(set.score(usd(1), null, NOW).decision()).isEqualTo(Decision.APPROVE);
  }

  @Test
  void newAccountLimitAppliesOnlyToYoungDebitAccounts() {
    RuleSet set = rules(rule("young", "NEW_ACCOUNT_LIMIT").put("ageSeconds", 3600).put("currency", "USD")
        .put("max", 100).put("action", "REVIEW"));
    assertThat(set.score(new ScoredTransfer("acc_a", "acc_b", 500, "USD", "IMMEDIATE", null, 60), null, NOW).decision())
        .isEqualTo(Decision.REVIEW);
    assertThat(set.score(new ScoredTransfer("acc_a", "acc_b", 100, "USD", "IMMEDIATE", null, 60), null, NOW).decision())
        .isEqualTo(Decision.APPROVE);
    assertThat(set.score(new ScoredTransfer("acc_a", "acc_b", 500, "USD", "IMMEDIATE", null, 3600), null, NOW).decision())
        .isEqualTo(Decision.APPROVE);
  }

  @Test
  void velocityCountAllowsMaxInTheWindowAndRefusesTheNext() {
    RuleSet set = rules(rule("burst", "VELOCITY_COUNT").put("windowSeconds", 60).put("max", 3));
    assertThat(set.hasVelocity()).isTrue();
    VelocityWindow window = VelocityWindow.empty();
    for (int i = 0; i < 3; i++) {
      assertThat(set.score(usd(1), window, NOW).decision()).isEqualTo(Decision.APPROVE);
      window.add(NOW, set.bucketSeconds(), 1);
    }
    RiskScore fourth = set.score(usd(1), window, NOW);
    assertThat(fourth.decision()).isEqualTo(Decision.DECLINE);
    assertThat(fourth.reasons().get(0).type()).isEqualTo("VELOCITY_COUNT");
    // the window slides: a minute and a bucket later the three are forgotten
    assertThat(set.score(usd(1), window, NOW + 61_000).decision()).isEqualTo(Decision.APPROVE);
  }

  @Test
  void velocityRulesAreLeftOutWithoutAWindow() {
    RuleSet set = rules(rule("burst", "VELOCITY_COUNT").put("windowSeconds", 60).put("max", 0));
    assertThat(set.score(usd(1), null, NOW).decision()).isEqualTo(Decision.APPROVE);
    assertThat(set.score(usd(1), VelocityWindow.empty(), NOW).decision()).isEqualTo(Decision.DECLINE);
  }

  @Test
  void velocityAmountCountsTheSumInItsCurrency() {
    RuleSet set = rules(rule("daily", "VELOCITY_AMOUNT").put("windowSeconds", 3600).put("currency", "USD")
        .put("max", 1000).put("action", "REVIEW"));
    VelocityWindow window = VelocityWindow.empty();
    window.add(NOW, set.bucketSeconds(), 600);
    assertThat(set.score(usd(400), window, NOW).decision()).isEqualTo(Decision.APPROVE);
    RiskScore over = set.score(usd(401), window, NOW);
    assertThat(over.decision()).isEqualTo(Decision.REVIEW);
    assertThat(over.reasons().get(0).message()).contains("1001");
    assertThat(set.score(new ScoredTransfer("acc_a", "acc_b", 5000, "EUR", "IMMEDIATE", null, DAY), window, NOW).decision())
        .isEqualTo(Decision.APPROVE);
  }

  @Test
  void theDecisionJsonCarriesTheRulesVersion() {
    RuleSet set = rules(rule("max-usd", "MAX_AMOUNT").put("currency", "USD").put("max", 10));
    JsonObject json = set.score(usd(11), null, NOW).toJson();
    assertThat(json.getString("decision")).isEqualTo("DECLINE");
    assertThat(json.getLong("rulesVersion")).isEqualTo(7);
    assertThat(json.getJsonArray("reasons").getJsonObject(0).fieldNames())
        .containsExactlyInAnyOrder("ruleId", "type", "message");
  }

  @Test
  void storedRulesHaveTheirActionFilledIn() {
    RuleSet set = rules(rule("max-usd", "MAX_AMOUNT").put("currency", "USD").put("max", 10),
        rule("list", "BLOCKLIST").put("accountIds", new JsonArray().add("b").add("a")));
    assertThat(set.toJson().getJsonArray("rules")).isEqualTo(new JsonArray()
        .add(new JsonObject().put("id", "max-usd").put("type", "MAX_AMOUNT").put("action", "DECLINE")
            .put("currency", "USD").put("max", 10L))
        .add(new JsonObject().put("id", "list").put("type", "BLOCKLIST").put("action", "DECLINE")
            .put("accountIds", new JsonArray().add("b").add("a"))));
  }
}
