package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.shared.CanonicalJson;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tampering done directly in SQL, with the append-only trigger turned off as a superuser could,
 * is reported by verification with the first bad seq.
 */
@ExtendWith(VertxExtension.class)
class ChainVerificationTest {
  static ChainFixture db;

  @BeforeAll
  static void start(Vertx vertx) {
    db = new ChainFixture(vertx);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  /** A chain of ten records sealed three at a time, with a checkpoint after every round (3, 6, 9). */
  private static Sealer chain(String tenant) {
    Sealer sealer = db.sealer(ChainFixture.settings(3), SealingProbe.NONE);
    for (int round = 0; round < 3; round++) {
      db.write(tenant, 3);
      db.sealAll(sealer);
    }
    db.write(tenant, 1);
    db.sealAll(sealer);
    db.assertIntact(tenant, 10);
    assertThat(checkpointSeqs(tenant)).containsExactly(3L, 6L, 9L);
    return sealer;
  }

  private static List<Long> checkpointSeqs(String tenant) {
    List<Long> seqs = new ArrayList<>();
    db.pool.query("SELECT seq FROM audit_checkpoints WHERE tenant = '" + tenant + "' ORDER BY seq").execute().await()
        .forEach(row -> seqs.add(row.getLong(0)));
    return seqs;
  }

  private static void assertInvalidAt(JsonObject verdict, long seq) {
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).as(verdict.encode()).isEqualTo(seq);
    assertThat(verdict.getString("reason")).isNotBlank();
  }

  @Test
  void anIntactChainIsValidAndVouchedForByItsNewestCheckpoint() {
    chain("intact");
    JsonObject verdict = db.verify("intact", null);
    assertThat(verdict.getLong("checked")).isEqualTo(10);
    assertThat(verdict.getString("headHash")).isEqualTo(db.records("intact").get(9).hash());
    assertThat(verdict.getValue("firstInvalidSeq")).isNull();
    JsonObject checkpoint = verdict.getJsonObject("checkpoint");
    assertThat(checkpoint.getLong("seq")).isEqualTo(9);
    JsonObject previous = db.pool.query("SELECT jws FROM audit_checkpoints WHERE tenant = 'intact' AND seq = 6")
        .execute().await().iterator().next().toJson();
    assertThat(db.keys.verify(checkpoint.getString("jws"))).isEqualTo(new JsonObject().put("tenant", "intact")
        .put("seq", 9L).put("hash", db.records("intact").get(8).hash()).put("at", checkpoint.getString("at"))
        .put("prevSeq", 6L).put("prevCheckpoint", CanonicalJson.sha256Hex(previous.getString("jws")))
        .put("merkleRoot", new MerkleWindow(db.records("intact").subList(6, 9).stream().map(ChainRecord::hash).toList())
            .root()));
  }

  @Test
  void anEmptyChainIsValid() {
    JsonObject verdict = db.verify("nobody", null);
    assertThat(verdict).isEqualTo(new JsonObject().put("valid", true).put("checked", 0L).put("headSeq", 0L)
        .put("headHash", "0".repeat(64)).putNull("firstInvalidSeq").putNull("reason").putNull("checkpoint"));
  }

  @Test
  void aChangedFieldIsReported() {
    chain("changed");
    db.tamper("UPDATE audit_log SET data = jsonb_set(data, '{amount}', '1') WHERE tenant = 'changed' AND seq = 4");
    assertInvalidAt(db.verify("changed", null), 4);
  }

  @Test
  void aChangedFieldWithItsOwnHashRecomputedIsReported() {
    chain("rehashed");
    ChainRecord original = db.records("rehashed").get(4);
    ChainRecord forged = new ChainRecord(original.seq(), original.at(), original.tenant(), "someone-else",
        original.action(), original.entityType(), original.entityId(), original.success(), original.origin(),
        original.data(), original.requestId(), original.prevHash(), null);
    db.tamper("UPDATE audit_log SET actor = 'someone-else', hash = '" + forged.computeHash()
        + "' WHERE tenant = 'rehashed' AND seq = 5");
    assertInvalidAt(db.verify("rehashed", null), 5);
  }

  @Test
  void aDeletedRowIsReported() {
    chain("deleted");
    db.tamper("DELETE FROM audit_log WHERE tenant = 'deleted' AND seq = 5");
    assertInvalidAt(db.verify("deleted", null), 5);
  }

  @Test
  void twoSwappedRowsAreReported() {
    chain("swapped");
    db.tamper("UPDATE audit_log SET seq = 1000 WHERE tenant = 'swapped' AND seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE tenant = 'swapped' AND seq = 7",
        "UPDATE audit_log SET seq = 7 WHERE tenant = 'swapped' AND seq = 1000");
    assertInvalidAt(db.verify("swapped", null), 3);
  }

  @Test
  void aRewrittenTailWithRecomputedHashesIsCaughtByTheCheckpoints() {
    chain("rewritten");
    rewriteFrom("rewritten", 7);
    JsonObject verdict = db.verify("rewritten", null);
    assertInvalidAt(verdict, 7);
    assertThat(verdict.getJsonObject("checkpoint").getLong("seq")).as("the newest checkpoint still true").isEqualTo(6);
  }

  @Test
  void aRewrittenTailWhoseCheckpointsWereDeletedIsCaughtByTheSealersWitness() {
    Sealer sealer = chain("hidden");
    rewriteFrom("hidden", 7);
    db.tamper("DELETE FROM audit_checkpoints WHERE tenant = 'hidden' AND seq > 6");
    assertThat(db.verify("hidden", null).getBoolean("valid"))
        .as("without a copy of the newer checkpoints the rewrite cannot be seen").isTrue();
    assertInvalidAt(db.verify("hidden", sealer.witness("hidden")), 7);
  }

  @Test
  void aRemovedTailIsCaughtByTheCheckpoints() {
    chain("truncated");
    db.tamper("DELETE FROM audit_log WHERE tenant = 'truncated' AND seq >= 8");
    JsonObject verdict = db.verify("truncated", null);
    assertInvalidAt(verdict, 7);
    assertThat(verdict.getString("reason")).contains("chain ends at 7");
  }

  @Test
  void aCheckpointSignedWithAnotherKeyIsReported() {
    chain("forged");
    CheckpointKeys attacker = new CheckpointKeys(CheckpointKeys.generate(), List.of());
    ChainRecord head = db.records("forged").get(9);
    String jws = attacker.sign(new JsonObject().put("tenant", "forged").put("seq", 10L).put("hash", head.hash())
        .put("at", head.at()));
    db.pool.query("INSERT INTO audit_checkpoints (tenant, seq, hash, at, kid, jws) VALUES ('forged', 10, '"
        + head.hash() + "', now(), '" + attacker.kid() + "', '" + jws + "')").execute().await();
    JsonObject verdict = db.verify("forged", null);
    assertThat(verdict.getBoolean("valid")).isFalse();
    assertThat(verdict.getString("reason")).contains("not signed by a trusted key");
  }

  @Test
  void theSealerRefusesToSignAHeadThatDoesNotExtendItsLastCheckpoint() {
    Sealer sealer = chain("resealed");
    rewriteFrom("resealed", 7);
    db.tamper("DELETE FROM audit_checkpoints WHERE tenant = 'resealed' AND seq > 6");
    db.write("resealed", 4);
    db.sealAll(sealer);
    assertThat(checkpointSeqs("resealed")).as("no checkpoint signs the rewritten history").containsExactly(3L, 6L);
    assertThat(sealer.alarms()).containsKey("resealed");
    assertThat(sealer.alarms().get("resealed")).contains("seq 9");
    assertInvalidAt(db.verify("resealed", sealer.witness("resealed")), 7);
  }

  @Test
  void theSealerRefusesToSignAfterARewriteThatKeptTheCheckpointRows() {
    Sealer sealer = chain("kept");
    rewriteFrom("kept", 4);
    db.write("kept", 4);
    db.sealAll(sealer);
    assertThat(checkpointSeqs("kept")).containsExactly(3L, 6L, 9L);
    assertThat(sealer.alarms().get("kept")).contains("does not extend the checkpoint at seq 9");
    assertInvalidAt(db.verify("kept", null), 4);
  }

  @Test
  void aRemovedTailWithItsCheckpointsIsCaughtByTheWitness() {
    Sealer sealer = chain("cut");
    db.tamper("DELETE FROM audit_log WHERE tenant = 'cut' AND seq >= 8",
        "DELETE FROM audit_checkpoints WHERE tenant = 'cut' AND seq >= 8");
    assertThat(db.verify("cut", null).getBoolean("valid")).isTrue();
    JsonObject verdict = db.verify("cut", sealer.witness("cut"));
    assertInvalidAt(verdict, 7);
    assertThat(verdict.getString("reason")).contains("chain ends at 7");
  }

  @Test
  void deletedCheckpointsAloneAreReported() {
    Sealer sealer = chain("tail-checkpoint");
    db.tamper("DELETE FROM audit_checkpoints WHERE tenant = 'tail-checkpoint' AND seq = 9");
    JsonObject verdict = db.verify("tail-checkpoint", sealer.witness("tail-checkpoint"));
    assertInvalidAt(verdict, 7);
    assertThat(verdict.getString("reason")).contains("missing from audit_checkpoints");

    chain("middle-checkpoint");
    db.tamper("DELETE FROM audit_checkpoints WHERE tenant = 'middle-checkpoint' AND seq = 6");
    verdict = db.verify("middle-checkpoint", null);
    assertInvalidAt(verdict, 4);
    assertThat(verdict.getString("reason")).contains("does not follow the checkpoint at seq 3");
  }

  @Test
  void aForgedCheckpointChainIsReported() {
    chain("forged-chain");
    rewriteFrom("forged-chain", 7);
    db.tamper("DELETE FROM audit_checkpoints WHERE tenant = 'forged-chain' AND seq > 6");
    CheckpointKeys attacker = new CheckpointKeys(CheckpointKeys.generate(), List.of());
    String six = db.pool.query("SELECT jws FROM audit_checkpoints WHERE tenant = 'forged-chain' AND seq = 6")
        .execute().await().iterator().next().getString(0);
    ChainRecord nine = db.records("forged-chain").get(8);
    String jws = attacker.sign(new JsonObject().put("tenant", "forged-chain").put("seq", 9L).put("hash", nine.hash())
        .put("at", nine.at()).put("prevSeq", 6L).put("prevCheckpoint", CanonicalJson.sha256Hex(six)));
    db.pool.query("INSERT INTO audit_checkpoints (tenant, seq, hash, at, kid, jws) VALUES ('forged-chain', 9, '"
        + nine.hash() + "', now(), '" + attacker.kid() + "', '" + jws + "')").execute().await();
    JsonObject verdict = db.verify("forged-chain", null);
    assertInvalidAt(verdict, 7);
    assertThat(verdict.getString("reason")).contains("not signed by a trusted key");
  }

  /** Changes record {@code from} and recomputes its hash and every later hash, as an attacker would. */
  private static void rewriteFrom(String tenant, long from) {
    List<ChainRecord> records = db.records(tenant);
    String prev = records.get((int) from - 2).hash();
    List<String> statements = new ArrayList<>();
    for (ChainRecord r : records.subList((int) from - 1, records.size())) {
      Object data = r.seq() == from ? new JsonObject().put("amount", 1) : r.data();
      ChainRecord rewritten = new ChainRecord(r.seq(), r.at(), r.tenant(), r.actor(), r.action(), r.entityType(),
          r.entityId(), r.success(), r.origin(), data, r.requestId(), prev, null);
      String hash = rewritten.computeHash();
      statements.add("UPDATE audit_log SET data = '" + CanonicalJson.of(data).replace("'", "''") + "', prev_hash = '"
          + prev + "', hash = '" + hash + "' WHERE tenant = '" + tenant + "' AND seq = " + r.seq());
      prev = hash;
    }
    db.tamper(statements.toArray(String[]::new));
    assertThat(db.records(tenant).get((int) from - 1).data()).isEqualTo(new JsonObject().put("amount", 1));
  }
}
