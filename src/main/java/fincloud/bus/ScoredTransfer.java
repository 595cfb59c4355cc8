package fincloud.bus;

import io.vertx.core.json.JsonObject;

/**
 * One transfer as payments asks risk to score it ({@link ScoreRequest}). Risk keeps no account data
 * of its own: the debit account's age comes with it ({@link Long#MAX_VALUE} when not known).
 */
public record ScoredTransfer(String debitAccountId, String creditAccountId, long amount, String currency,
    String mode, String reference, long debitAccountAgeSeconds) {

  public JsonObject toJson() {
    return new JsonObject().put("debitAccountId", debitAccountId).put("creditAccountId", creditAccountId)
        .put("amount", amount).put("currency", currency).put("mode", mode).put("reference", reference)
        .put("debitAccountAgeSeconds", debitAccountAgeSeconds);
  }

  public static ScoredTransfer fromJson(JsonObject json) {
    Long age = json.getLong("debitAccountAgeSeconds");
    return new ScoredTransfer(json.getString("debitAccountId"), json.getString("creditAccountId"),
        json.getLong("amount"), json.getString("currency"), json.getString("mode"), json.getString("reference"),
        age == null ? Long.MAX_VALUE : age);
  }
}
