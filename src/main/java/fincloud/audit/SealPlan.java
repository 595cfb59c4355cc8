package fincloud.audit;

import fincloud.shared.CanonicalJson;
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
 * one) is listed in {@link #due}, and gets a signed one ({@link #sign}) once the sealer has checked
 * that the head extends the chain's last checkpoint ({@link HeadCheck}).
 *
 * <p>A checkpoint signs {@code {"tenant","seq","hash","at","prevSeq","prevCheckpoint","merkleRoot"}}:
 * the chain head, and the seq and SHA-256 (hex, of the compact JWS) of the chain's previous
 * checkpoint (0 and 64 zeros for the first), so that checkpoints form a chain of their own that no
 * one without the key can shorten, reorder or fork; and the root of the Merkle tree of its window,
 * the records {@code prevSeq + 1 .. seq} ({@link MerkleWindow}), from which one record's inclusion
 * is proven with a few hashes.
 */
final class SealPlan {
  /** A chain's head and its newest checkpoint, as read under the chain's lock. */
  record Head(long seq, String hash, long checkpointSeq, Instant checkpointAt, String checkpointJws) {
  }

  /** One outbox row's place in its chain. */
  record Link(long outboxId, ChainRecord record) {
  }

  record Checkpoint(String tenant, long seq, String hash, String at, String kid, String jws) {
  }

  final List<Link> links = new ArrayList<>();
  final List<Checkpoint> checkpoints = new ArrayList<>();
  /** The chains due a checkpoint: their head after this round, and their stored head before it. */
  final Map<String, Head> due = new LinkedHashMap<>();
  final Map<String, Head> stored = new HashMap<>();
  /** The new head seq of every chain that grew. */
  final Map<String, Long> grown = new LinkedHashMap<>();

  private SealPlan() {
  }

  static SealPlan of(RowSet<Row> outbox, RowSet<Row> heads, AuditSettings settings, Instant now) {
    Map<String, Head> chains = new HashMap<>();
    heads.forEach(row -> chains.put(row.getString("tenant"), new Head(
        row.getLong("seq") == null ? 0 : row.getLong("seq"),
        row.getString("hash") == null ? ChainRecord.ZERO_HASH : row.getString("hash"),
        row.getLong("checkpoint_seq") == null ? 0 : row.getLong("checkpoint_seq"),
        instant(row.getOffsetDateTime("checkpoint_at")), row.getString("checkpoint_jws"))));
    SealPlan plan = new SealPlan();
    plan.stored.putAll(chains);
    for (Row row : outbox) {
      String tenant = row.getString("tenant");
      Head head = chains.get(tenant);
      ChainRecord record = ChainRecord.seal(row, head.seq() + 1, head.hash());
      plan.links.add(new Link(row.getLong("id"), record));
      chains.put(tenant, new Head(record.seq(), record.hash(), head.checkpointSeq(), head.checkpointAt(),
          head.checkpointJws()));
      plan.grown.put(tenant, record.seq());
    }
    chains.forEach((tenant, head) -> {
      if (due(head, settings, now)) {
        plan.due.put(tenant, head);
      }
    });
    return plan;
  }

  /**
   * Signs the head of a due chain, linked to the chain's newest stored checkpoint.
   *
   * @param window the hashes of the records after that checkpoint up to the head, in seq order
   */
  void sign(String tenant, CheckpointKeys keys, Instant now, List<String> window) {
    Head head = due.get(tenant);
    if (window.size() != head.seq() - head.checkpointSeq()) {
      throw new IllegalStateException("the window of chain " + tenant + " after checkpoint " + head.checkpointSeq()
          + " to " + head.seq() + " has " + window.size() + " records");
    }
    String at = Timestamps.format(now);
    JsonObject payload = new JsonObject().put("tenant", tenant).put("seq", head.seq()).put("hash", head.hash())
        .put("at", at).put("prevSeq", head.checkpointSeq()).put("prevCheckpoint", checkpointHash(head.checkpointJws()))
        .put("merkleRoot", new MerkleWindow(window).root());
    checkpoints.add(new Checkpoint(tenant, head.seq(), head.hash(), at, keys.kid(), keys.sign(payload)));
  }

  /** What a checkpoint's successor signs as {@code prevCheckpoint}: 64 zeros when there is none. */
  static String checkpointHash(String jws) {
    return jws == null ? ChainRecord.ZERO_HASH : CanonicalJson.sha256Hex(jws);
  }

  static boolean due(Head head, AuditSettings settings, Instant now) {
    if (head.seq() <= head.checkpointSeq()) {
      return false;
    }
    return head.checkpointAt() == null
        || head.seq() - head.checkpointSeq() >= settings.checkpointEvery()
        || !Duration.between(head.checkpointAt(), now).minusSeconds(settings.checkpointSeconds()).isNegative();
  }

  /**
   * The record hashes of a due chain's window: the stored ones after its last checkpoint
   * ({@code stored}, as the sealer read them to check the head) and those this round appends.
   */
  List<String> window(String tenant, List<ChainRecord> stored) {
    long after = due.get(tenant).checkpointSeq();
    List<String> hashes = new ArrayList<>();
    stored.stream().filter(record -> record.seq() > after).forEach(record -> hashes.add(record.hash()));
    links.stream().filter(link -> link.record().tenant().equals(tenant)).forEach(link -> hashes.add(link.record().hash()));
    return hashes;
  }

  boolean isEmpty() {
    return links.isEmpty() && checkpoints.isEmpty();
  }

  private static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }
}
