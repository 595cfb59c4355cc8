package fincloud.audit;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Judges one tenant's chain (no I/O): first every record in seq order, then every signed checkpoint
 * in seq order, then the checkpoints witnessed outside the database.
 *
 * <p>The records alone show a changed field (the hash no longer matches), a removed record (a seq
 * is missing), records swapped or moved (seq is inside the hash, so a record at another position
 * no longer matches) and a record rewritten together with its own hash (its successor recorded a
 * different {@code prevHash}). They cannot show a rewritten tail whose hashes were all recomputed,
 * nor a removed tail: that is what checkpoints are for. A checkpoint signed by a trusted key names
 * a seq and the hash the chain had there, and the previous checkpoint (its seq and the SHA-256 of
 * its JWS), so checkpoints form a chain too: a removed, reordered or forged checkpoint breaks it.
 * Removing the newest checkpoints together with the records they vouch for leaves a shorter chain
 * that is consistent in itself; a witness (this node's copy of its newest checkpoint, or one the
 * caller kept) shows it: the witnessed checkpoint is missing, or the chain no longer has its hash.
 *
 * <p>When a checkpoint disagrees with the chain, {@code firstInvalidSeq} is the first seq after the
 * newest checkpoint that still agrees — the earliest record that may have been rewritten or removed
 * (exactly the first one when checkpoints are dense enough).
 */
final class ChainVerifier {
  private final String tenant;
  private long checked;
  private long expectedSeq = 1;
  private String expectedPrev = ChainRecord.ZERO_HASH;
  private long headSeq;
  private String headHash = ChainRecord.ZERO_HASH;
  private Long brokenAt;
  private String brokenReason;

  private Long contradictedFrom;
  /** The seq of the checkpoint that contradicted the chain. */
  private long contradictedAt;
  private String contradiction;
  /** The stored checkpoints that hold, ascending; the checkpoint chain's tip. */
  private final List<JsonObject> vouching = new ArrayList<>();
  private long lastCheckpointSeq;
  private String lastCheckpointHash = ChainRecord.ZERO_HASH;

  /**
   * Where a partial recomputation starts: a record whose hash an earlier full verification
   * established (or, without one, simply the record the deadline allows to start from).
   */
  record Anchor(long seq, String hash) {
  }

  ChainVerifier(String tenant) {
    this.tenant = tenant;
  }

  /** A verifier that recomputes the records after the anchor only. */
  ChainVerifier(String tenant, Anchor from) {
    this(tenant);
    if (from != null) {
      expectedSeq = from.seq() + 1;
      expectedPrev = from.hash();
      headSeq = from.seq();
      headHash = from.hash();
    }
  }

  /** The next record in ascending seq order. */
  void accept(ChainRecord record) {
    checked++;
    headSeq = record.seq();
    headHash = record.hash();
    if (brokenAt != null) {
      return;
    }
    long seq = record.seq();
    if (seq != expectedSeq) {
      broken(Math.min(seq, expectedSeq), seq > expectedSeq ? "record " + expectedSeq + " is missing"
          : "record " + seq + " appears again after record " + (expectedSeq - 1));
    } else if (!record.computeHash().equals(record.hash())) {
      broken(seq, "record " + seq + " does not match its hash");
    } else if (!record.prevHash().equals(expectedPrev)) {
      broken(seq == 1 ? 1 : seq - 1, seq == 1 ? "record 1 does not start from the zero hash"
          : "record " + (seq - 1) + " is not the record that record " + seq + " was chained to");
    }
    expectedSeq = seq + 1;
    expectedPrev = record.hash();
  }

  long headSeq() {
    return headSeq;
  }

  long checked() {
    return checked;
  }

  /** Whether stored checkpoints still need looking at (none has contradicted the chain yet). */
  boolean wantsCheckpoints() {
    return contradictedFrom == null;
  }

  /**
   * The next stored checkpoint, in ascending seq order.
   *
   * @param seq the checkpoint's seq as stored
   * @param payload the signed payload, or null when no trusted key signed it
   * @param chainHash the hash of the chain's record at the payload's seq, or null when there is none
   * @param jws the checkpoint itself
   */
  void checkpoint(long seq, JsonObject payload, String chainHash, String jws) {
    if (contradictedFrom != null) {
      return;
    }
    String problem = payload == null ? "the checkpoint at seq " + seq + " is not signed by a trusted key"
        : payload.getLong("seq", -1L) != seq ? "the checkpoint stored at seq " + seq + " signs another seq"
        : disagreement("a signed checkpoint", payload, chainHash);
    if (problem == null && payload.containsKey("prevCheckpoint")
        && (payload.getLong("prevSeq", -1L) != lastCheckpointSeq
            || !lastCheckpointHash.equals(payload.getString("prevCheckpoint")))) {
      problem = "the checkpoint at seq " + seq + " does not follow the checkpoint at seq " + lastCheckpointSeq
          + ": a checkpoint was removed, replaced or forged";
    }
    if (problem != null) {
      contradicted(lastCheckpointSeq + 1, seq, problem);
      return;
    }
    vouching.add(payload.copy().put("jws", jws));
    lastCheckpointSeq = seq;
    lastCheckpointHash = SealPlan.checkpointHash(jws);
  }

  /**
   * A checkpoint a trusted key signed that is kept outside the database: it must still be in the
   * database, and the chain must still have its hash.
   *
   * @param storedJws the checkpoint stored at the payload's seq, or null when there is none
   */
  void witness(JsonObject payload, String chainHash, String storedJws, String jws) {
    long seq = payload.getLong("seq", -1L);
    String problem = disagreement("a witnessed checkpoint", payload, chainHash);
    if (problem == null && !jws.equals(storedJws)) {
      problem = "the checkpoint at seq " + seq + " that was witnessed outside the database is "
          + (storedJws == null ? "missing from" : "not the one in") + " audit_checkpoints";
    }
    if (problem != null) {
      contradicted(newestVouchingBefore(seq) + 1, seq, problem);
    }
  }

  private String disagreement(String what, JsonObject payload, String chainHash) {
    long signedSeq = payload.getLong("seq", -1L);
    if (!tenant.equals(payload.getString("tenant"))) {
      return what + " at seq " + signedSeq + " was signed for another chain";
    } else if (chainHash == null) {
      return what + " vouches for record " + signedSeq + " but the chain ends at " + headSeq;
    } else if (!chainHash.equals(payload.getString("hash"))) {
      return "record " + signedSeq + " no longer has the hash " + what + " gives it";
    }
    return null;
  }

  private long newestVouchingBefore(long seq) {
    long found = 0;
    for (JsonObject checkpoint : vouching) {
      if (checkpoint.getLong("seq") < seq) {
        found = checkpoint.getLong("seq");
      }
    }
    return found;
  }

  JsonObject verdict() {
    Long firstInvalid = brokenAt;
    String reason = brokenReason;
    // a record that does not match pins the damage down more closely than a checkpoint after it
    if (contradictedFrom != null && (firstInvalid == null || contradictedAt < firstInvalid)) {
      firstInvalid = contradictedFrom;
      reason = contradiction;
    }
    JsonObject checkpoint = null;
    for (JsonObject candidate : vouching) {
      if (firstInvalid == null || candidate.getLong("seq") < firstInvalid) {
        checkpoint = candidate;
      }
    }
    return new JsonObject()
        .put("valid", firstInvalid == null)
        .put("checked", checked)
        .put("headSeq", headSeq)
        .put("headHash", headHash)
        .put("firstInvalidSeq", firstInvalid)
        .put("reason", reason)
        .put("checkpoint", checkpoint);
  }

  private void broken(long seq, String reason) {
    brokenAt = seq;
    brokenReason = reason;
  }

  private void contradicted(long from, long at, String reason) {
    if (contradictedFrom == null || from < contradictedFrom) {
      contradictedFrom = from;
      contradictedAt = at;
      contradiction = reason;
    }
  }
}
