package fincloud.risk;

import io.vertx.core.json.JsonObject;

/**
 * One transfer as risk sees it: what payments sends for each item. Risk keeps no account data of
 * its own; the debit account's age comes with the request.
 */
record ScoredTransfer(String debitAccountId, String creditAccountId, long amount, String currency,
    long debitAccountAgeSeconds) {

  static ScoredTransfer from(JsonObject item) {
    Long age = item.getLong("debitAccountAgeSeconds");
    return new ScoredTransfer(item.getString("debitAccountId"), item.getString("creditAccountId"),
        item.getLong("amount"), item.getString("currency"), age == null ? Long.MAX_VALUE : age);
  }
}
