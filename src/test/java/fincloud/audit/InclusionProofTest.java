package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Inclusion proofs as the audit service serves them and the offline verifier checks them, with
 * nothing but the published keys: every sealed record is proven under its window's checkpoint; a
 * changed record, another key's checkpoint or a bent path is not; a record no checkpoint covers
 * yet, or whose window was rewritten, gets no proof.
 */
@ExtendWith(VertxExtension.class)
class InclusionProofTest {
  static ChainFixture db;
  static InclusionProofs proofs;
  static Path keys;

  /** Chain "proofs": windows 1..5 and 6..11 (checkpoints 5 and 11), record 12 not yet in one. */
  @BeforeAll
  static void start(Vertx vertx) throws Exception {
    db = new ChainFixture(vertx);
    proofs = new InclusionProofs(vertx, db.pool, db.keys);
    keys = Files.createTempFile("audit-keys", ".json");
    Files.writeString(keys, db.keys.publicJwkSet(Map.of()).encode());
    Sealer sealer = db.sealer(ChainFixture.settings(5), SealingProbe.NONE);
    for (int count : new int[] {5, 6, 1}) {
      db.write("proofs", count);
      db.sealAll(sealer);
    }
    db.assertIntact("proofs", 12);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @Test
  void everySealedRecordIsProvenUnderItsWindowsCheckpointOffline() throws Exception {
    for (long seq = 1; seq <= 11; seq++) {
      JsonObject proof = proofs.proof("proofs", seq).await();
      long checkpoint = seq <= 5 ? 5 : 11;
      assertThat(proof.getJsonObject("checkpoint").getLong("seq")).isEqualTo(checkpoint);
      assertThat(proof.getLong("leafIndex")).isEqualTo(seq - (seq <= 5 ? 1 : 6));
      assertThat(proof.getLong("treeSize")).isEqualTo(seq <= 5 ? 5 : 6);
      assertThat(proof.getJsonArray("auditPath").size()).isLessThanOrEqualTo(3);
      JsonObject verdict = OfflineVerifier.verifyProof(file(proof), keys);
      assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
      assertThat(verdict.getLong("checkpointSeq")).isEqualTo(checkpoint);
    }
  }

  @Test
  void aChangedRecordAnotherKeysCheckpointOrABentPathIsNoProof() throws Exception {
    JsonObject proof = proofs.proof("proofs", 7).await();

    JsonObject changed = proof.copy();
    changed.getJsonObject("record").put("actor", "someone-else");
    assertThat(OfflineVerifier.verifyProof(file(changed), keys).getString("reason")).contains("does not match its hash");

    // the record rewritten with its own hash recomputed: a leaf the signed root does not hold
    JsonObject rehashed = proof.copy();
    JsonObject record = rehashed.getJsonObject("record").put("actor", "someone-else");
    record.put("hash", ChainRecord.fromJson(record).computeHash());
    assertThat(OfflineVerifier.verifyProof(file(rehashed), keys).getString("reason"))
        .contains("does not lead from record 7");

    CheckpointKeys attacker = new CheckpointKeys(CheckpointKeys.generate(), List.of());
    JsonObject payload = db.keys.verify(proof.getJsonObject("checkpoint").getString("jws"));
    JsonObject foreign = proof.copy();
    foreign.getJsonObject("checkpoint").put("jws", attacker.sign(payload));
    assertThat(OfflineVerifier.verifyProof(file(foreign), keys).getString("reason")).contains("not signed by a trusted key");

    JsonObject bent = proof.copy();
    bent.getJsonArray("auditPath").set(0, ChainRecord.ZERO_HASH);
    assertThat(OfflineVerifier.verifyProof(file(bent), keys).getBoolean("valid")).isFalse();

    // the proof of record 7 presented as one of record 8: seq is inside the record's hash
    JsonObject moved = proof.copy();
    moved.getJsonObject("record").put("seq", 8);
    assertThat(OfflineVerifier.verifyProof(file(moved), keys).getBoolean("valid")).isFalse();
  }

  @Test
  void aRecordNoCheckpointCoversYetOrThatTheChainDoesNotHaveGetsNoProof() {
    assertRefused(() -> proofs.proof("proofs", 12).await(), ErrorCode.INVALID_STATE, "not in a checkpoint yet");
    assertRefused(() -> proofs.proof("proofs", 13).await(), ErrorCode.NOT_FOUND, "no audit record 13");
    assertRefused(() -> proofs.proof("no-such-chain", 1).await(), ErrorCode.NOT_FOUND, "no audit record 1");
  }

  @Test
  void aWindowRewrittenWithRecomputedHashesGetsNoProofButOneKeptEarlierStillHolds() throws Exception {
    Sealer sealer = db.sealer(ChainFixture.settings(5), SealingProbe.NONE);
    for (int count : new int[] {5, 5}) {
      db.write("rewritten", count);
      db.sealAll(sealer);
    }
    JsonObject kept = proofs.proof("rewritten", 8).await();
    OwnerRewrite.rewriteFrom(db.pool, "rewritten", 7);

    assertRefused(() -> proofs.proof("rewritten", 8).await(), ErrorCode.INVALID_STATE, "no longer give its Merkle root");
    assertThat(proofs.proof("rewritten", 3).await().getLong("treeSize")).as("the window before is intact").isEqualTo(5);
    assertThat(OfflineVerifier.verifyProof(file(kept), keys).getBoolean("valid"))
        .as("a proof kept before the rewrite still proves what was sealed").isTrue();
  }

  @Test
  void seqsPastTheSmallNumbersAreProvenToo() throws Exception {
    Sealer sealer = db.sealer(ChainFixture.settings(100), SealingProbe.NONE);
    for (int count : new int[] {140, 60}) {
      db.write("long", count);
      db.sealAll(sealer);
    }
    JsonObject proof = proofs.proof("long", 150).await();
    assertThat(proof.getJsonObject("checkpoint").getLong("seq")).isEqualTo(200);
    assertThat(proof.getLong("treeSize")).isEqualTo(100);
    assertThat(OfflineVerifier.verifyProof(file(proof), keys).getBoolean("valid")).isTrue();
  }

  @Test
  void aCheckpointSignedBeforeCheckpointsCarriedARootProvesNothing() {
    db.write("old-checkpoints", 2);
    db.sealAll(db.sealer(ChainFixture.settings(100), SealingProbe.NONE));
    ChainRecord head = db.records("old-checkpoints").get(1);
    OwnerRewrite.asOwner(db.pool, "DELETE FROM audit_checkpoints WHERE tenant = 'old-checkpoints'",
        "INSERT INTO audit_checkpoints (tenant, seq, hash, at, kid, jws) VALUES ('old-checkpoints', 2, '"
            + head.hash() + "', now(), '" + db.keys.kid() + "', '" + db.keys.sign(new JsonObject()
            .put("tenant", "old-checkpoints").put("seq", 2L).put("hash", head.hash()).put("at", head.at())) + "')");
    assertRefused(() -> proofs.proof("old-checkpoints", 1).await(), ErrorCode.INVALID_STATE,
        "before checkpoints carried a Merkle root");
    assertThat(db.verify("old-checkpoints", null).getBoolean("valid")).as("it still verifies").isTrue();
  }

  private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, ErrorCode code,
      String detail) {
    assertThatThrownBy(call).isInstanceOfSatisfying(ServiceException.class, e -> {
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.getMessage()).contains(detail);
    });
  }

  private static Path file(JsonObject proof) throws Exception {
    Path file = Files.createTempFile("audit-proof", ".json");
    Files.writeString(file, proof.encode(), StandardCharsets.UTF_8);
    return file;
  }
}
