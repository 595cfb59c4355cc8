package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Verification within the deadline, here with a deadline of ten records: a longer chain is
 * recomputed from its last full verification (run in the background, with progress), and a
 * rewrite before that point still shows through the checkpoints.
 */
@ExtendWith(VertxExtension.class)
class QuickVerifyTest {
  static ChainFixture db;
  static AuditLog log;
  static FullVerifications full;
  static QuickVerify quick;

  @BeforeAll
  static void start(Vertx vertx) {
    db = new ChainFixture(vertx);
    log = new AuditLog(vertx, db.pool);
    full = new FullVerifications(db.pool, log, db.keys);
    quick = new QuickVerify(log, db.keys, full, 10);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @Test
  void aLongChainIsRecomputedFromItsLastFullVerificationAndARewriteBeforeItStillShows() {
    Sealer sealer = db.sealer(ChainFixture.settings(3), SealingProbe.NONE);
    for (int round = 0; round < 10; round++) {
      db.write("long", 3);
      db.sealAll(sealer);
    }

    JsonObject first = quick.verify("long", List.of()).await();
    assertThat(first.getBoolean("valid")).as(first.encode()).isTrue();
    assertThat(first.getString("anchor")).isEqualTo("deadline");
    assertThat(first.getLong("recomputedFrom")).isEqualTo(21);
    assertThat(first.getLong("checked")).isEqualTo(10);
    JsonObject job = Eventually.until("the full verification started by verify", Duration.ofSeconds(15),
        () -> full.latest("long").await(), found -> found != null && "DONE".equals(found.getString("status")));
    assertThat(job.getLong("checked")).isEqualTo(30);
    assertThat(job.getDouble("progress")).isEqualTo(1.0);
    assertThat(job.getJsonObject("verdict").getBoolean("valid")).isTrue();

    db.write("long", 5);
    db.sealAll(sealer);
    JsonObject anchored = quick.verify("long", List.of()).await();
    assertThat(anchored.getBoolean("valid")).as(anchored.encode()).isTrue();
    assertThat(anchored.getString("anchor")).isEqualTo("fullVerification");
    assertThat(anchored.getLong("recomputedFrom")).isEqualTo(31);
    assertThat(anchored.getLong("checked")).isEqualTo(5);
    assertThat(anchored.getLong("headSeq")).isEqualTo(35);

    OwnerRewrite.rewriteFrom(db.pool, "long", 4);
    JsonObject rewritten = quick.verify("long", List.of()).await();
    assertThat(rewritten.getBoolean("valid")).as(rewritten.encode()).isFalse();
    assertThat(rewritten.getLong("firstInvalidSeq")).isEqualTo(4);
    assertThat(rewritten.getLong("recomputedFrom")).as("still only the tail is recomputed").isEqualTo(31);
  }

  @Test
  void aFullVerificationTheKeyDidNotSignIsNoAnchor() {
    db.write("unsigned", 15);
    db.sealAll(db.sealer(ChainFixture.settings(3), SealingProbe.NONE));
    db.pool.query("INSERT INTO audit_verifications (tenant, status, checked, head_seq, jws) VALUES"
        + " ('unsigned', 'DONE', 15, 15, 'eyJhbGciOiJub25lIn0.eyJ0ZW5hbnQiOiJ1bnNpZ25lZCJ9.')").execute().await();
    JsonObject verdict = quick.verify("unsigned", List.of()).await();
    assertThat(verdict.getString("anchor")).isEqualTo("deadline");
    assertThat(verdict.getLong("recomputedFrom")).isEqualTo(6);
  }

  @Test
  void aShortChainIsRecomputedWhole() {
    db.write("short", 4);
    db.sealAll(db.sealer(ChainFixture.settings(3), SealingProbe.NONE));
    JsonObject verdict = quick.verify("short", List.of()).await();
    assertThat(verdict.getLong("recomputedFrom")).isEqualTo(1);
    assertThat(verdict.getString("anchor")).isEqualTo("none");
    assertThat(verdict.getLong("checked")).isEqualTo(4);
  }
}
