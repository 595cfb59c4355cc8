package fincloud.bus;

import io.vertx.core.json.JsonObject;

/**
 * A transfer's place in its debit account's velocity window, taken by risk when it approves (or
 * sends to review), and given back ({@link VelocityRelease}) when the ledger makes no transfer.
 *
 * @param start the start of the window's bucket, epoch seconds
 * @param width the bucket's width, seconds
 */
public record VelocitySlot(String accountId, long start, long width, long amount) {

  public JsonObject toJson() {
    return new JsonObject().put("accountId", accountId).put("start", start).put("width", width).put("amount", amount);
  }

  public static VelocitySlot fromJson(JsonObject json) {
    return new VelocitySlot(json.getString("accountId"), json.getLong("start"), json.getLong("width"),
        json.getLong("amount"));
  }
}
