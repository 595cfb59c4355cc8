package fincloud.audit;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Whether a chain head the sealer is about to sign extends the chain's last checkpoint (no I/O).
 * A sealer that signed whatever head the database holds would vouch for a history its owner
 * rewrote; so before signing, the sealer recomputes the records from the last checkpoint it trusts
 * (the newest stored one, or its own witness when that is newer) to the head, and signs only when
 * they chain to the checkpoint's hash.
 */
final class HeadCheck {
  private HeadCheck() {
  }

  /**
   * @param tenant the chain
   * @param stored the newest stored checkpoint's payload when a trusted key signed it; null when
   *     there is none
   * @param storedSeq the seq of the newest stored checkpoint row (0: none)
   * @param witness the payload of the newest checkpoint this node keeps outside the database, or null
   * @param records the stored records from the checkpoint's seq (from seq 1 when there is none) to
   *     the stored head, ascending
   * @param headSeq the stored head's seq
   * @return null when the head extends the last checkpoint, else what is wrong
   */
  static String problem(String tenant, JsonObject stored, long storedSeq, JsonObject witness,
      List<ChainRecord> records, long headSeq) {
    if (storedSeq > 0 && (stored == null || !tenant.equals(stored.getString("tenant"))
        || stored.getLong("seq", -1L) != storedSeq)) {
      return "the newest stored checkpoint (seq " + storedSeq + ") is not one a trusted key signed for this chain";
    }
    if (witness != null && witness.getLong("seq") > storedSeq) {
      return "the checkpoint at seq " + witness.getLong("seq") + " that this node witnessed is missing from"
          + " audit_checkpoints";
    }
    if (headSeq < storedSeq) {
      return "the chain ends at " + headSeq + " but a signed checkpoint vouches for record " + storedSeq;
    }
    long expectedSeq = storedSeq == 0 ? 1 : storedSeq;
    String expectedPrev = null;
    for (ChainRecord record : records) {
      if (record.seq() != expectedSeq) {
        return "record " + expectedSeq + " is missing";
      }
      boolean linked = expectedPrev == null
          ? (storedSeq == 0 ? ChainRecord.ZERO_HASH.equals(record.prevHash()) : stored.getString("hash")
              .equals(record.hash()))
          : expectedPrev.equals(record.prevHash());
      if (!linked || !record.computeHash().equals(record.hash())) {
        return "record " + record.seq() + " does not extend the checkpoint at seq " + storedSeq;
      }
      expectedPrev = record.hash();
      expectedSeq++;
    }
    return expectedSeq == headSeq + 1 ? null : "record " + expectedSeq + " is missing";
  }
}
