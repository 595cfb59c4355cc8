package fincloud.risk;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What risk says about one transfer: APPROVE, REVIEW or DECLINE, a score and the broken rules.
 *
 * <p>The score tells how risky the transfer looks on a 0..100 scale that agrees with the
 * decision: APPROVE 0..49 (in proportion to how close the transfer comes to its nearest limit),
 * REVIEW 50..89 (50 plus 10 for each rule asking for review), DECLINE 90..100 (90 plus 10 for
 * each further declining rule).
 */
record Decision(Verdict verdict, int score, List<Reason> reasons) {

  enum Verdict { APPROVE, REVIEW, DECLINE }

  record Reason(String ruleId, String type, String message) {
    JsonObject toJson() {
      return new JsonObject().put("ruleId", ruleId).put("type", type).put("message", message);
    }
  }

  boolean declined() {
    return verdict == Verdict.DECLINE;
  }

  /** The JSON that travels to payments and is kept on the transfer, with the rule set version that decided. */
  JsonObject toJson(long rulesVersion) {
    JsonArray list = new JsonArray();
    reasons.forEach(reason -> list.add(reason.toJson()));
    return new JsonObject().put("decision", verdict.name()).put("score", score).put("reasons", list)
        .put("rulesVersion", rulesVersion);
  }
}
