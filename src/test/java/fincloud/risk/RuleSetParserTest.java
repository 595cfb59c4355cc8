package fincloud.risk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The validation of a rule set: a bad rule is named by index, id and field. */
class RuleSetParserTest {

  private static JsonObject refusal(JsonObject... rules) {
    JsonArray array = new JsonArray();
    for (JsonObject rule : rules) {
      array.add(rule);
    }
    try {
      RuleSetParser.parse(new JsonObject().put("rules", array));
    } catch (ServiceException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
      return e.toAnswer("r").body();
    }
    throw new AssertionError("the set was accepted");
  }

  private static JsonObject max(String id) {
    return new JsonObject().put("id", id).put("type", "MAX_AMOUNT").put("currency", "USD").put("max", 10);
  }

  @Test
  void acceptsEveryTypeWithItsFields() {
    assertThat(RuleSetParser.parse(new JsonObject().put("rules", new JsonArray()
        .add(max("a"))
        .add(new JsonObject().put("id", "b").put("type", "VELOCITY_COUNT").put("windowSeconds", 60).put("max", 3))
        .add(new JsonObject().put("id", "c").put("type", "VELOCITY_AMOUNT").put("windowSeconds", 60)
            .put("currency", "EUR").put("max", 3).put("action", "REVIEW"))
        .add(new JsonObject().put("id", "d").put("type", "BLOCKLIST").put("accountIds", new JsonArray().add("acc_1")))
        .add(new JsonObject().put("id", "e").put("type", "NEW_ACCOUNT_LIMIT").put("ageSeconds", 60)
            .put("currency", "USD").put("max", 0))))).hasSize(5);
  }

  @Test
  void aMissingFieldNamesTheRuleAndTheField() {
    JsonObject problem = refusal(max("a"), new JsonObject().put("id", "burst").put("type", "VELOCITY_COUNT")
        .put("max", 3));
    assertThat(problem.getInteger("index")).isEqualTo(1);
    assertThat(problem.getString("ruleId")).isEqualTo("burst");
    assertThat(problem.getString("field")).isEqualTo("windowSeconds");
    assertThat(problem.getString("detail")).contains("rule 1").contains("burst").contains("windowSeconds");
  }

  @Test
  void aFieldOfAnotherTypeIsRefused() {
    JsonObject problem = refusal(new JsonObject().put("id", "burst").put("type", "VELOCITY_COUNT")
        .put("windowSeconds", 60).put("max", 3).put("currency", "USD"));
    assertThat(problem.getInteger("index")).isZero();
    assertThat(problem.getString("field")).isEqualTo("currency");
  }

  @Test
  void duplicateIdsAreRefused() {
    JsonObject problem = refusal(max("a"), max("b"), max("a"));
    assertThat(problem.getInteger("index")).isEqualTo(2);
    assertThat(problem.getString("field")).isEqualTo("id");
  }

  @Test
  void badValuesAreRefused() {
    assertThat(refusal(max("a").put("action", "ALLOW")).getString("field")).isEqualTo("action");
    assertThat(refusal(max("a").put("max", -1)).getString("field")).isEqualTo("max");
    assertThat(refusal(max("a").put("max", 1.5)).getString("field")).isEqualTo("max");
    assertThat(refusal(max("a").put("currency", "usd")).getString("field")).isEqualTo("currency");
    assertThat(refusal(new JsonObject().put("id", "w").put("type", "VELOCITY_COUNT").put("windowSeconds", 0)
        .put("max", 1)).getString("field")).isEqualTo("windowSeconds");
    assertThat(refusal(new JsonObject().put("id", "l").put("type", "BLOCKLIST").put("accountIds", new JsonArray()))
        .getString("field")).isEqualTo("accountIds");
    assertThat(refusal(new JsonObject().put("id", "t").put("type", "MIN_AMOUNT")).getString("field"))
        .isEqualTo("type");
  }

  @Test
  void rulesMustBeAnArray() {
    assertThatThrownBy(() -> RuleSetParser.parse(new JsonObject())).isInstanceOf(ServiceException.class);
  }
}
