package fincloud.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Risk's answer to a {@link ScoreRequest}.
 *
 * @param decisions one per scored transfer, in order (fewer when risk stopped at a batch's first refusal)
 * @param reservations the velocity slots risk took for them
 */
public record RiskScores(List<RiskScore> decisions, List<VelocitySlot> reservations) {

  public RiskScores {
    decisions = List.copyOf(decisions);
    reservations = List.copyOf(reservations);
  }

  /** Whether payments' fallback decided, risk being unavailable. */
  public boolean fallback() {
    return decisions.stream().anyMatch(RiskScore::fallback);
  }

  public JsonObject toJson() {
    JsonArray scored = new JsonArray();
    decisions.forEach(decision -> scored.add(decision.toJson()));
    return new JsonObject().put("decisions", scored).put("reservations", VelocityRelease.toJson(reservations));
  }

  public static RiskScores fromJson(JsonObject json) {
    return new RiskScores(json.getJsonArray("decisions", new JsonArray()).stream()
        .map(o -> RiskScore.fromJson((JsonObject) o)).toList(),
        VelocityRelease.slots(json.getJsonArray("reservations")));
  }
}
