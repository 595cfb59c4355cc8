package fincloud.payments;

import fincloud.bus.Decision;
import fincloud.bus.RiskScore;
import fincloud.bus.VelocitySlot;
import io.vertx.core.json.JsonObject;

/**
 * One requested money movement, as validated by the gateway, with the risk decision it got
 * as it is kept on the transfer ({@link RiskScore#toJson()}, null before scoring).
 */
public record TransferItem(String debitAccountId, String creditAccountId, long amount, String currency,
    TransferMode mode, Integer expiresInSeconds, String reference, JsonObject metadata, JsonObject risk) {

  public static TransferItem from(JsonObject body) {
    return new TransferItem(body.getString("debitAccountId"), body.getString("creditAccountId"),
        body.getLong("amount"), body.getString("currency"),
        TransferMode.valueOf(body.getString("mode", TransferMode.IMMEDIATE.name())),
        body.getInteger("expiresInSeconds"), body.getString("reference"),
        body.getJsonObject("metadata", new JsonObject()), null);
  }

  /** With its customer fields as they are kept (sealed by the service before the ledger sees them). */
  public TransferItem withCustomerFields(String reference, JsonObject metadata) {
    return new TransferItem(debitAccountId, creditAccountId, amount, currency, mode, expiresInSeconds,
        reference, metadata, risk);
  }

  public TransferItem withRisk(JsonObject decision) {
    return new TransferItem(debitAccountId, creditAccountId, amount, currency, mode, expiresInSeconds,
        reference, metadata, decision);
  }

  public TransferItem withRisk(RiskScore decision) {
    return withRisk(decision.toJson());
  }

  /**
   * With risk's decision and, when the transfer makes a hold, the velocity slot risk took for it:
   * kept with the transfer ({@link TransferState#VELOCITY_SLOT}, never shown) so that voiding the
   * hold, or its expiry, can give the slot back.
   */
  public TransferItem withRisk(RiskScore decision, VelocitySlot slot) {
    TransferItem scored = withRisk(decision);
    if (slot != null && scored.holds()) {
      scored.risk().put(TransferState.VELOCITY_SLOT, slot.toJson());
    }
    return scored;
  }

  /** A hold is made when asked for, and when risk wants a human to look first. */
  boolean holds() {
    return mode == TransferMode.PENDING || Decision.of(risk) == Decision.REVIEW;
  }

  /** The life of the hold: as asked, else an hour for a PENDING transfer, a day for a review. */
  long holdSeconds() {
    if (expiresInSeconds != null) {
      return expiresInSeconds;
    }
    return mode == TransferMode.PENDING ? 3600 : 24 * 3600;
  }

  JsonObject toJson() {
    return new JsonObject().put("debitAccountId", debitAccountId).put("creditAccountId", creditAccountId)
        .put("amount", amount).put("currency", currency).put("mode", mode.name())
        .put("reference", reference);
  }
}
