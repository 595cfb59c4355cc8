package fincloud.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Judges one inclusion proof (the answer of {@code GET /v1/audit/events/{seq}/proof}) with nothing
 * but the trusted public keys (no I/O). Only what the checkpoint's signature covers is believed:
 * the window ({@code prevSeq}, {@code seq}] and its {@code merkleRoot} come from the signed payload,
 * and the leaf from the record's own recomputed hash; the unsigned copies in the answer are only
 * compared with them.
 */
final class ProofCheck {
  private ProofCheck() {
  }

  /** {@code {"valid","seq","checkpointSeq","reason"}}. */
  static JsonObject judge(JsonObject proof, CheckpointKeys trusted) {
    ChainRecord record;
    try {
      record = ChainRecord.fromJson(proof.getJsonObject("record"));
    } catch (RuntimeException e) {
      return refused(null, null, "the proof holds no readable record");
    }
    Long seq = record.seq();
    JsonObject checkpoint = proof.getJsonObject("checkpoint", new JsonObject());
    JsonObject signed = checkpoint.getValue("jws") instanceof String jws ? trusted.verify(jws) : null;
    if (!record.computeHash().equals(record.hash())) {
      return refused(seq, null, "record " + seq + " does not match its hash");
    }
    if (signed == null) {
      return refused(seq, null, "the checkpoint is not signed by a trusted key");
    }
    Long checkpointSeq = signed.getValue("seq") instanceof Number n ? n.longValue() : null;
    if (!record.tenant().equals(signed.getString("tenant")) || checkpointSeq == null
        || !(signed.getValue("prevSeq") instanceof Number) || !(signed.getValue("merkleRoot") instanceof String)) {
      return refused(seq, checkpointSeq, "the checkpoint is not one of this chain with a Merkle root");
    }
    long prevSeq = signed.getLong("prevSeq");
    if (seq <= prevSeq || seq > checkpointSeq) {
      return refused(seq, checkpointSeq, "record " + seq + " is not in the window " + (prevSeq + 1) + ".."
          + checkpointSeq + " of the checkpoint");
    }
    long index = seq - prevSeq - 1;
    long size = checkpointSeq - prevSeq;
    List<String> path = path(proof.getValue("auditPath"));
    if (path == null || !MerkleWindow.proves(MerkleWindow.leafHash(record.hash()), index, size, path,
        signed.getString("merkleRoot"))) {
      return refused(seq, checkpointSeq, "the audit path does not lead from record " + seq
          + " to the Merkle root its checkpoint signs");
    }
    return new JsonObject().put("valid", true).put("seq", seq).put("checkpointSeq", checkpointSeq).putNull("reason");
  }

  private static List<String> path(Object given) {
    if (!(given instanceof JsonArray array) || array.size() > 64) {
      return null;
    }
    List<String> path = new ArrayList<>();
    for (Object sibling : array) {
      if (!(sibling instanceof String hex)) {
        return null;
      }
      path.add(hex);
    }
    return path;
  }

  private static JsonObject refused(Long seq, Long checkpointSeq, String reason) {
    return new JsonObject().put("valid", false).put("seq", seq).put("checkpointSeq", checkpointSeq)
        .put("reason", reason);
  }
}
