package fincloud.payments;

import fincloud.bus.Decision;
import fincloud.shared.Timestamps;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/** A transfer as the ledger writer creates or changes it, and as the API shows it. */
final class TransferState {
  /**
   * Key, in a hold's {@code risk}, of the velocity slot risk took for it ({@code VelocitySlot}):
   * given back when the hold is voided or expires; not part of the transfer as the API shows it.
   */
  static final String VELOCITY_SLOT = "velocitySlot";

  final String id;
  final String tenant;
  final String debitAccountId;
  final String creditAccountId;
  final long amount;
  final String currency;
  final TransferMode mode;
  final String reference;
  final JsonObject metadata;
  final JsonObject risk;
  final Instant createdAt;
  final Instant expiresAt;
  TransferStatus status;
  Long postedAmount;
  Instant postedAt;
  VoidReason voidReason;

  TransferState(String id, String tenant, String debitAccountId, String creditAccountId, long amount,
      String currency, TransferMode mode, String reference, JsonObject metadata, JsonObject risk,
      Instant createdAt, Instant expiresAt, TransferStatus status) {
    this.id = id;
    this.tenant = tenant;
    this.debitAccountId = debitAccountId;
    this.creditAccountId = creditAccountId;
    this.amount = amount;
    this.currency = currency;
    this.mode = mode;
    this.reference = reference;
    this.metadata = metadata;
    this.risk = risk;
    this.createdAt = createdAt;
    this.expiresAt = expiresAt;
    this.status = status;
  }

  static TransferState from(Row row) {
    TransferState t = new TransferState(row.getString("id"), row.getString("tenant"),
        row.getString("debit_account_id"), row.getString("credit_account_id"), row.getLong("amount"),
        row.getString("currency"), TransferMode.valueOf(row.getString("mode")), row.getString("reference"),
        json(row.getValue("metadata")), json(row.getValue("risk")), instant(row, "created_at"),
        instant(row, "expires_at"), TransferStatus.valueOf(row.getString("status")));
    t.postedAmount = row.getLong("posted_amount");
    t.postedAt = instant(row, "posted_at");
    String voidReason = row.getString("void_reason");
    t.voidReason = voidReason == null ? null : VoidReason.valueOf(voidReason);
    return t;
  }

  boolean inReview() {
    return Decision.of(risk) == Decision.REVIEW;
  }

  boolean expired(Instant now) {
    return expiresAt != null && !expiresAt.isAfter(now);
  }

  /** The answer and audit form: the row's, but for what the transfer keeps for payments alone. */
  JsonObject toJson() {
    JsonObject shown = risk == null || !risk.containsKey(VELOCITY_SLOT) ? risk : risk.copy();
    if (shown != risk) {
      shown.remove(VELOCITY_SLOT);
    }
    return new JsonObject()
        .put("id", id).put("tenant", tenant)
        .put("debitAccountId", debitAccountId).put("creditAccountId", creditAccountId)
        .put("amount", amount).put("currency", currency).put("mode", mode.name()).put("status", status.name())
        .put("postedAmount", postedAmount).put("reference", reference).put("metadata", metadata)
        .put("risk", shown)
        .put("createdAt", Timestamps.format(createdAt)).put("postedAt", Timestamps.format(postedAt))
        .put("expiresAt", Timestamps.format(expiresAt)).put("voidReason", name(voidReason));
  }

  /** The row, in the column names of the transfers table. */
  JsonObject toRow() {
    return new JsonObject()
        .put("id", id).put("tenant", tenant)
        .put("debit_account_id", debitAccountId).put("credit_account_id", creditAccountId)
        .put("amount", amount).put("currency", currency).put("mode", mode.name()).put("status", status.name())
        .put("posted_amount", postedAmount).put("reference", reference).put("metadata", metadata)
        .put("risk", risk)
        .put("created_at", Timestamps.format(createdAt)).put("posted_at", Timestamps.format(postedAt))
        .put("expires_at", Timestamps.format(expiresAt)).put("void_reason", name(voidReason));
  }

  private static String name(Enum<?> value) {
    return value == null ? null : value.name();
  }

  private static JsonObject json(Object value) {
    return value instanceof JsonObject object ? object : null;
  }

  private static Instant instant(Row row, String column) {
    var time = row.getOffsetDateTime(column);
    return time == null ? null : time.toInstant();
  }
}
