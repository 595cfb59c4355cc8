package fincloud.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What risk says about one transfer: the decision, a score and the broken rules; kept as the
 * transfer's {@code risk} ({@code {"decision","score","reasons":[{"ruleId","type","message"}]}}).
 *
 * <p>The score tells how risky the transfer looks on a 0..100 scale that agrees with the
 * decision: APPROVE 0..49 (in proportion to how close the transfer comes to its nearest limit),
 * REVIEW 50..89, DECLINE 90..100.
 *
 * @param rulesVersion the version of the tenant's rule set that decided; null when the fallback did
 * @param fallback whether payments' fallback decided, risk being unavailable
 */
public record RiskScore(Decision decision, int score, List<Reason> reasons, Long rulesVersion, boolean fallback) {

  public record Reason(String ruleId, String type, String message) {
    JsonObject toJson() {
      return new JsonObject().put("ruleId", ruleId).put("type", type).put("message", message);
    }

    static Reason fromJson(JsonObject json) {
      return new Reason(json.getString("ruleId"), json.getString("type"), json.getString("message"));
    }
  }

  public RiskScore {
    reasons = List.copyOf(reasons);
  }

  /** A decision of the tenant's rules. */
  public static RiskScore ofRules(Decision decision, int score, List<Reason> reasons, long rulesVersion) {
    return new RiskScore(decision, score, reasons, rulesVersion, false);
  }

  /** A decision of the fallback, risk being unavailable. */
  public static RiskScore ofFallback(Decision decision, int score, List<Reason> reasons) {
    return new RiskScore(decision, score, reasons, null, true);
  }

  public boolean declined() {
    return decision == Decision.DECLINE;
  }

  public JsonArray reasonsJson() {
    JsonArray list = new JsonArray();
    reasons.forEach(reason -> list.add(reason.toJson()));
    return list;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("decision", decision.name()).put("score", score)
        .put("reasons", reasonsJson());
    if (rulesVersion != null) {
      json.put("rulesVersion", rulesVersion);
    }
    if (fallback) {
      json.put("fallback", true);
    }
    return json;
  }

  public static RiskScore fromJson(JsonObject json) {
    return new RiskScore(Decision.valueOf(json.getString("decision")), json.getInteger("score", 0),
        json.getJsonArray("reasons", new JsonArray()).stream().map(o -> Reason.fromJson((JsonObject) o)).toList(),
        json.getLong("rulesVersion"), json.getBoolean("fallback", false));
  }
}
