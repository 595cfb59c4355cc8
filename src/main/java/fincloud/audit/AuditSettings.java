package fincloud.audit;

import io.vertx.core.json.JsonObject;

/**
 * The {@code audit} section of the configuration.
 *
 * @param pollMs how often an idle sealer looks for new outbox rows
 * @param batchSize at most this many outbox rows are sealed in one round (one transaction)
 * @param checkpointEvery sign the chain head after at most this many new records ...
 * @param checkpointSeconds ... or once this many seconds have passed since the last checkpoint
 * @param lockTimeoutSeconds a sealing transaction left idle this long (its node hung or was cut
 *     off) is ended by PostgreSQL, which frees its tenants for another node
 */
record AuditSettings(long pollMs, int batchSize, int checkpointEvery, long checkpointSeconds,
    long lockTimeoutSeconds) {

  static AuditSettings from(JsonObject config) {
    JsonObject audit = config.getJsonObject("audit", new JsonObject());
    return new AuditSettings(
        Math.max(1, audit.getLong("pollMs", 50L)),
        Math.max(1, audit.getInteger("batchSize", 2000)),
        Math.max(1, audit.getInteger("checkpointEvery", 1000)),
        Math.max(1, audit.getLong("checkpointSeconds", 10L)),
        Math.max(1, audit.getLong("lockTimeoutSeconds", 10L)));
  }
}
