package fincloud.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Payments to risk ({@code Addresses.RISK_SCORE}): score these transfers of one tenant, in order.
 * In a batch, risk stops at the first transfer it does not approve. Answered with {@link RiskScores}.
 */
public record ScoreRequest(String tenant, boolean batch, List<ScoredTransfer> items) {

  public JsonObject toJson() {
    JsonArray list = new JsonArray();
    items.forEach(item -> list.add(item.toJson()));
    return new JsonObject().put("tenant", tenant).put("batch", batch).put("items", list);
  }

  public static ScoreRequest fromJson(JsonObject json) {
    return new ScoreRequest(json.getString("tenant"), json.getBoolean("batch", false),
        json.getJsonArray("items", new JsonArray()).stream().map(o -> ScoredTransfer.fromJson((JsonObject) o))
            .toList());
  }
}
