package fincloud.audit;

import fincloud.shared.Timestamps;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/**
 * One sealed record of a tenant's hash chain, and the rule that links it:
 * {@code hash = SHA-256(prevHash || canonical JSON of the eleven record fields)} (the "Audit hash
 * canonical form" of openapi.yaml, which anyone can recompute). {@code data} is an object for every
 * record the services write; it is kept as decoded so that a tampered value is never mended.
 */
record ChainRecord(long seq, String at, String tenant, String actor, String action, String entityType,
    String entityId, boolean success, String origin, Object data, String requestId, String prevHash,
    String hash) {

  /** The {@code prevHash} of the first record of every chain. */
  static final String ZERO_HASH = "0".repeat(64);

  /**
   * The columns of audit_log (and, but for seq and the hashes, of audit_outbox) that form a record,
   * in the order {@link #fromRow} reads them.
   */
  static final String COLUMNS =
      "seq, at, tenant, actor, action, entity_type, entity_id, success, origin, data, request_id, prev_hash, hash";

  /**
   * A row of a query whose columns are {@link #COLUMNS}, in that order, first: read by position,
   * as a full verification reads a million of them.
   */
  static ChainRecord fromRow(Row row) {
    return new ChainRecord(row.getLong(0), Timestamps.format(row.getOffsetDateTime(1)), row.getString(2),
        row.getString(3), row.getString(4), row.getString(5), row.getString(6), row.getBoolean(7), row.getString(8),
        row.getValue(9), row.getString(10), row.getString(11), row.getString(12));
  }

  /** A record as the API and the export show it ({@link #toJson}). */
  static ChainRecord fromJson(JsonObject json) {
    return new ChainRecord(json.getLong("seq"), json.getString("at"), json.getString("tenant"),
        json.getString("actor"), json.getString("action"), json.getString("entityType"), json.getString("entityId"),
        json.getBoolean("success"), json.getString("origin"), json.getValue("data"), json.getString("requestId"),
        json.getString("prevHash"), json.getString("hash"));
  }

  /** The record an outbox row becomes at position {@code seq} after {@code prevHash}, hash computed. */
  static ChainRecord seal(Row outboxRow, long seq, String prevHash) {
    ChainRecord unsealed = new ChainRecord(seq, Timestamps.format(outboxRow.getOffsetDateTime("at")),
        outboxRow.getString("tenant"), outboxRow.getString("actor"), outboxRow.getString("action"),
        outboxRow.getString("entity_type"), outboxRow.getString("entity_id"), outboxRow.getBoolean("success"),
        outboxRow.getString("origin"), data(outboxRow), outboxRow.getString("request_id"), prevHash, null);
    return unsealed.withHash(unsealed.computeHash());
  }

  /** What the hash covers: all eleven fields, a field without a value as null; not the hashes. */
  JsonObject hashedFields() {
    return new JsonObject().put("seq", seq).put("at", at).put("tenant", tenant).put("actor", actor)
        .put("action", action).put("entityType", entityType).put("entityId", entityId).put("success", success)
        .put("origin", origin).put("data", data).put("requestId", requestId);
  }

  /** The hash this record should carry given its own {@code prevHash} (written directly: {@link RecordHash}). */
  String computeHash() {
    return RecordHash.of(this);
  }

  /** The record as the API shows it (the field order of docs/contract.md, The audit chain). */
  JsonObject toJson() {
    return hashedFields().put("prevHash", prevHash).put("hash", hash);
  }

  private ChainRecord withHash(String computed) {
    return new ChainRecord(seq, at, tenant, actor, action, entityType, entityId, success, origin, data, requestId,
        prevHash, computed);
  }

  /** The jsonb as decoded, whatever its shape: a tampered value must hash differently, never be mended. */
  private static Object data(Row row) {
    return row.getValue("data");
  }
}
