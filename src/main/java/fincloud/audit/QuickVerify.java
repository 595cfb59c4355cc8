package fincloud.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code GET /v1/audit/verify} within the request deadline at any chain length. A chain of at
 * most {@code inlineRecords} records is recomputed whole. A longer one is recomputed from the last
 * completed full verification (signed, valid, and with at most {@code inlineRecords} records
 * after it); failing that, the last {@code inlineRecords} records only, and a full verification is
 * started in the background. Either way every checkpoint and the witnesses are checked: a rewrite
 * with recomputed hashes before the recomputed range changes the hash at a checkpoint's or the
 * witness's seq, one read each. The answer says where it recomputed from ({@code recomputedFrom},
 * 1 for the whole chain) and on what ({@code anchor}: {@code "none"}, {@code "fullVerification"},
 * {@code "deadline"}).
 */
final class QuickVerify {
  /** About 5 s of recomputation on a loaded node, half the request deadline. */
  static final long INLINE_RECORDS = 100_000;

  private final AuditLog log;
  private final CheckpointKeys keys;
  private final FullVerifications full;
  private final long inlineRecords;

  QuickVerify(AuditLog log, CheckpointKeys keys, FullVerifications full, long inlineRecords) {
    this.log = log;
    this.keys = keys;
    this.full = full;
    this.inlineRecords = inlineRecords;
  }

  Future<JsonObject> verify(String tenant, List<String> witnesses) {
    return log.headSeq(tenant).compose(head -> head <= inlineRecords ? whole(tenant, witnesses)
        : full.anchor(tenant).compose(anchor -> anchor != null && anchor.seq() <= head
            && head - anchor.seq() <= inlineRecords
            ? from(tenant, witnesses, anchor, "fullVerification")
            : full.start(tenant, () -> witnesses).compose(started -> log.storedAt(tenant, head - inlineRecords))
                .compose(start -> from(tenant, witnesses, start, "deadline"))));
  }

  private Future<JsonObject> whole(String tenant, List<String> witnesses) {
    return log.verify(tenant, keys, witnesses).map(verdict -> verdict.put("recomputedFrom", 1L).put("anchor", "none"));
  }

  private Future<JsonObject> from(String tenant, List<String> witnesses, ChainVerifier.Anchor anchor, String kind) {
    return log.verify(tenant, keys, witnesses, anchor, checked -> { })
        .map(verdict -> verdict.put("recomputedFrom", anchor.seq() + 1).put("anchor", kind));
  }
}
