package fincloud.audit;

import io.vertx.core.json.JsonObject;

/**
 * Judges one tenant's chain (no I/O): first every record in seq order, then signed checkpoints
 * from the newest back to the first that vouches for the chain as read.
 *
 * <p>The records alone show a changed field (the hash no longer matches), a removed record (a seq
 * is missing), records swapped or moved (seq is inside the hash, so a record at another position
 * no longer matches) and a record rewritten together with its own hash (its successor recorded a
 * different {@code prevHash}). They cannot show a rewritten tail whose hashes were all recomputed,
 * nor a removed tail: that is what checkpoints are for. A checkpoint signed by a trusted key names
 * a seq and the hash the chain had there; when the newest one disagrees with the chain,
 * {@code firstInvalidSeq} is the first seq after the newest checkpoint that still agrees — the
 * earliest record that may have been rewritten or removed (exactly the first one when checkpoints
 * are dense enough).
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

  private boolean checkpointsContradict;
  private String contradiction;
  private JsonObject vouching;

  ChainVerifier(String tenant) {
    this.tenant = tenant;
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

  /** Whether checkpoints still need looking at (none has vouched for the chain yet). */
  boolean wantsCheckpoints() {
    return vouching == null;
  }

  /**
   * The next checkpoint, newest first.
   *
   * @param seq the checkpoint's seq as stored (used only when its signature fails)
   * @param payload the signed payload, or null when no trusted key signed it
   * @param chainHash the hash of the chain's record at the payload's seq, or null when there is none
   * @param jws the checkpoint itself
   */
  void checkpoint(long seq, JsonObject payload, String chainHash, String jws) {
    if (vouching != null) {
      return;
    }
    if (payload == null) {
      contradicted("the checkpoint at seq " + seq + " is not signed by a trusted key");
      return;
    }
    long signedSeq = payload.getLong("seq", -1L);
    if (!tenant.equals(payload.getString("tenant"))) {
      contradicted("the checkpoint at seq " + seq + " was signed for another chain");
    } else if (chainHash == null) {
      contradicted("a signed checkpoint vouches for record " + signedSeq + " but the chain ends at " + headSeq);
    } else if (!chainHash.equals(payload.getString("hash"))) {
      contradicted("record " + signedSeq + " no longer has the hash a signed checkpoint gives it");
    } else {
      vouching = payload.copy().put("jws", jws);
    }
  }

  JsonObject verdict() {
    Long firstInvalid = brokenAt;
    String reason = brokenReason;
    if (checkpointsContradict) {
      long fromCheckpoints = vouching == null ? 1 : vouching.getLong("seq") + 1;
      if (firstInvalid == null || fromCheckpoints < firstInvalid) {
        firstInvalid = fromCheckpoints;
        reason = contradiction;
      }
    }
    return new JsonObject()
        .put("valid", firstInvalid == null)
        .put("checked", checked)
        .put("headSeq", headSeq)
        .put("headHash", headHash)
        .put("firstInvalidSeq", firstInvalid)
        .put("reason", reason)
        .put("checkpoint", vouching);
  }

  private void broken(long seq, String reason) {
    brokenAt = seq;
    brokenReason = reason;
  }

  private void contradicted(String reason) {
    if (!checkpointsContradict) {
      checkpointsContradict = true;
      contradiction = reason;
    }
  }
}
