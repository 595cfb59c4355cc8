package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The offline verifier on files alone (an export, the published keys, kept checkpoints): it holds
 * for an intact chain and names the first bad record of a tampered export, including a rewrite
 * with recomputed hashes and a forged checkpoint.
 */
@ExtendWith(VertxExtension.class)
class OfflineVerifierTest {
  static ChainFixture db;
  static Path keys;

  @BeforeAll
  static void start(Vertx vertx) throws Exception {
    db = new ChainFixture(vertx);
    keys = Files.createTempFile("audit-keys", ".json");
    Files.writeString(keys, db.keys.publicJwkSet(java.util.Map.of()).encode());
    Sealer sealer = db.sealer(ChainFixture.settings(3), SealingProbe.NONE);
    for (int round = 0; round < 3; round++) {
      db.write("offline", 3);
      db.sealAll(sealer);
    }
    db.write("offline", 1);
    db.sealAll(sealer);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @Test
  void anIntactExportHoldsWithItsCheckpoints() throws Exception {
    JsonObject verdict = OfflineVerifier.verify(export(db.records("offline")), keys, checkpoints(List.of()));
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
    assertThat(verdict.getLong("checked")).isEqualTo(10);
    assertThat(verdict.getJsonObject("checkpoint").getLong("seq")).isEqualTo(9);
  }

  @Test
  void aChangedRecordInTheExportIsNamed() throws Exception {
    List<ChainRecord> records = new ArrayList<>(db.records("offline"));
    ChainRecord r = records.get(3);
    records.set(3, new ChainRecord(r.seq(), r.at(), r.tenant(), "someone-else", r.action(), r.entityType(),
        r.entityId(), r.success(), r.origin(), r.data(), r.requestId(), r.prevHash(), r.hash()));
    JsonObject verdict = OfflineVerifier.verify(export(records), keys, null);
    assertThat(verdict.getBoolean("valid")).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).isEqualTo(4);
  }

  @Test
  void aRewriteWithRecomputedHashesIsCaughtByTheKeptCheckpoints() throws Exception {
    List<ChainRecord> records = rewrittenFrom(db.records("offline"), 7);
    assertThat(OfflineVerifier.verify(export(records), keys, null).getBoolean("valid"))
        .as("the hashes alone agree").isTrue();
    JsonObject verdict = OfflineVerifier.verify(export(records), keys, checkpoints(List.of()));
    assertThat(verdict.getBoolean("valid")).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).isEqualTo(7);
  }

  @Test
  void aCheckpointOfAnotherKeyIsReported() throws Exception {
    CheckpointKeys attacker = new CheckpointKeys(CheckpointKeys.generate(), List.of());
    ChainRecord head = db.records("offline").get(9);
    String forged = attacker.sign(new JsonObject().put("tenant", "offline").put("seq", 10L).put("hash", head.hash())
        .put("at", head.at()));
    JsonObject verdict = OfflineVerifier.verify(export(db.records("offline")), keys, checkpoints(List.of(forged)));
    assertThat(verdict.getBoolean("valid")).isFalse();
    assertThat(verdict.getString("reason")).contains("not signed by a trusted key");
  }

  @Test
  void aTailCutOffWithItsCheckpointsIsCaughtByTheKeptCheckpoints() throws Exception {
    List<ChainRecord> cut = db.records("offline").subList(0, 7);
    Path fetchedAfter = jwsLines(storedCheckpoints().subList(0, 2));
    assertThat(OfflineVerifier.verify(export(cut), keys, fetchedAfter).getBoolean("valid"))
        .as("the shortened chain and what is left of its checkpoints agree").isTrue();
    JsonObject verdict = OfflineVerifier.verify(export(cut), keys, checkpoints(List.of()));
    assertThat(verdict.getBoolean("valid")).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).isEqualTo(7);
    assertThat(verdict.getString("reason")).contains("chain ends at 7");
  }

  @Test
  void checkpointsDeletedAloneBreakTheCheckpointChain() throws Exception {
    List<String> stored = storedCheckpoints();
    JsonObject verdict = OfflineVerifier.verify(export(db.records("offline")), keys,
        jwsLines(List.of(stored.get(0), stored.get(2))));
    assertThat(verdict.getBoolean("valid")).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).isEqualTo(4);
    assertThat(verdict.getString("reason")).contains("does not follow the checkpoint at seq 3");
  }

  @Test
  void aForgedCheckpointChainOverARewriteIsReported() throws Exception {
    List<ChainRecord> records = rewrittenFrom(db.records("offline"), 7);
    CheckpointKeys attacker = new CheckpointKeys(CheckpointKeys.generate(), List.of());
    List<String> stored = storedCheckpoints();
    String forged = attacker.sign(new JsonObject().put("tenant", "offline").put("seq", 9L)
        .put("hash", records.get(8).hash()).put("at", records.get(8).at()).put("prevSeq", 6L)
        .put("prevCheckpoint", fincloud.shared.CanonicalJson.sha256Hex(stored.get(1))));
    JsonObject verdict = OfflineVerifier.verify(export(records), keys,
        jwsLines(List.of(stored.get(0), stored.get(1), forged)));
    assertThat(verdict.getBoolean("valid")).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).isEqualTo(7);
    assertThat(verdict.getString("reason")).contains("not signed by a trusted key");
  }

  /** The stored checkpoints' JWS, oldest first (3, 6, 9). */
  private static List<String> storedCheckpoints() {
    List<String> jws = new ArrayList<>();
    new AuditLog(db.vertx, db.pool).checkpoints("offline", 0, 100).await().getJsonArray("items")
        .forEach(item -> jws.add(((JsonObject) item).getString("jws")));
    assertThat(jws).hasSize(3);
    return jws;
  }

  private static Path jwsLines(List<String> jws) throws Exception {
    Path file = Files.createTempFile("audit-checkpoints", ".jws");
    Files.writeString(file, String.join("\n", jws), StandardCharsets.UTF_8);
    return file;
  }

  private static Path export(List<ChainRecord> records) throws Exception {
    Path file = Files.createTempFile("audit-export", ".ndjson");
    StringBuilder lines = new StringBuilder();
    records.forEach(record -> lines.append(record.toJson().encode()).append('\n'));
    Files.writeString(file, lines, StandardCharsets.UTF_8);
    return file;
  }

  /** The chain's checkpoints as GET /v1/audit/checkpoints pages them, and further JWS lines. */
  private static Path checkpoints(List<String> extra) throws Exception {
    Path file = Files.createTempFile("audit-checkpoints", ".json");
    JsonObject page = new AuditLog(db.vertx, db.pool).checkpoints("offline", 0, 100).await();
    Files.writeString(file, page.encode() + "\n" + String.join("\n", extra), StandardCharsets.UTF_8);
    return file;
  }

  private static List<ChainRecord> rewrittenFrom(List<ChainRecord> records, long from) {
    List<ChainRecord> rewritten = new ArrayList<>(records.subList(0, (int) from - 1));
    String prev = rewritten.get(rewritten.size() - 1).hash();
    for (ChainRecord r : records.subList((int) from - 1, records.size())) {
      Object data = r.seq() == from ? new JsonObject().put("amount", 1) : r.data();
      ChainRecord unsealed = new ChainRecord(r.seq(), r.at(), r.tenant(), r.actor(), r.action(), r.entityType(),
          r.entityId(), r.success(), r.origin(), data, r.requestId(), prev, null);
      ChainRecord sealed = new ChainRecord(r.seq(), r.at(), r.tenant(), r.actor(), r.action(), r.entityType(),
          r.entityId(), r.success(), r.origin(), data, r.requestId(), prev, unsealed.computeHash());
      rewritten.add(sealed);
      prev = sealed.hash();
    }
    return rewritten;
  }
}
