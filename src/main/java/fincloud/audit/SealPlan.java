package fincloud.audit;

import fincloud.shared.Timestamps;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one sealing round writes, decided from what it read (no I/O): each outbox row, in id
 * order, becomes the next record of its tenant's chain; a tenant whose head is due for a
 * checkpoint (every {@code checkpointEvery} records, or {@code checkpointSeconds} after the last
 * one) gets a signed one.
 */
final class SealPlan {
  /** A chain's head and its newest checkpoint, as read under the chain's lock. */
  record Head(long seq, String hash, long checkpointSeq, Instant checkpointAt) {
  }

  /** One outbox row's place in its chain. */
  record Link(long outboxId, ChainRecord record) {
  }

  record Checkpoint(String tenant, long seq, String hash, String at, String kid, String jws) {
  }

  final List<Link> links = new ArrayList<>();
  final List<Checkpoint> checkpoints = new ArrayList<>();
  /** The new head seq of every chain that grew. */
  final Map<String, Long> grown = new LinkedHashMap<>();

  private SealPlan() {
  }

  static SealPlan of(RowSet<Row> outbox, RowSet<Row> heads, AuditSettings settings, CheckpointKeys keys,
      Instant now) {
    Map<String, Head> chains = new HashMap<>();
    heads.forEach(row -> chains.put(row.getString("tenant"), new Head(
        row.getLong("seq") == null ? 0 : row.getLong("seq"),
        row.getString("hash") == null ? ChainRecord.ZERO_HASH : row.getString("hash"),
        row.getLong("checkpoint_seq") == null ? 0 : row.getLong("checkpoint_seq"),
        instant(row.getOffsetDateTime("checkpoint_at")))));
    SealPlan plan = new SealPlan();
    for (Row row : outbox) {
      String tenant = row.getString("tenant");
      Head head = chains.get(tenant);
      ChainRecord record = ChainRecord.seal(row, head.seq() + 1, head.hash());
      plan.links.add(new Link(row.getLong("id"), record));
      chains.put(tenant, new Head(record.seq(), record.hash(), head.checkpointSeq(), head.checkpointAt()));
      plan.grown.put(tenant, record.seq());
    }
    String at = Timestamps.format(now);
    chains.forEach((tenant, head) -> {
      if (due(head, settings, now)) {
        JsonObject payload = new JsonObject().put("tenant", tenant).put("seq", head.seq()).put("hash", head.hash())
            .put("at", at);
        plan.checkpoints.add(new Checkpoint(tenant, head.seq(), head.hash(), at, keys.kid(), keys.sign(payload)));
      }
    });
    return plan;
  }

  static boolean due(Head head, AuditSettings settings, Instant now) {
    if (head.seq() <= head.checkpointSeq()) {
      return false;
    }
    return head.checkpointAt() == null
        || head.seq() - head.checkpointSeq() >= settings.checkpointEvery()
        || !Duration.between(head.checkpointAt(), now).minusSeconds(settings.checkpointSeconds()).isNegative();
  }

  boolean isEmpty() {
    return links.isEmpty() && checkpoints.isEmpty();
  }

  private static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }
}
