package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.outbox.AuditOutbox;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The sealer against a real PostgreSQL: every outbox row ends up in its chain exactly once, in
 * commit order, whatever crashes in between, and with two sealers at once.
 */
@ExtendWith(VertxExtension.class)
class SealerTest {
  static ChainFixture db;

  @BeforeAll
  static void start(Vertx vertx) {
    db = new ChainFixture(vertx);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  enum Crash { FAIL, KILL_CONNECTION }

  @ParameterizedTest(name = "crash at {0}, by failing and by killing the connection")
  @EnumSource(SealingProbe.Step.class)
  void aSealerThatDiesAtAnyStepLosesNothingAndSealsNothingTwice(SealingProbe.Step step) {
    for (Crash crash : Crash.values()) {
      String tenant = "crash-" + step + "-" + crash;
      db.write(tenant, 7);
      AtomicBoolean armed = new AtomicBoolean(true);
      Sealer dying = db.sealer(ChainFixture.settings(1000), (reached, tx) -> reached == step && armed.get()
          ? crash(crash, tx) : Future.succeededFuture());
      assertThatThrownBy(() -> dying.round().await()).as("the round dies at " + step);
      assertThat(db.outboxSize()).as("rows still to seal after dying at " + step)
          .isEqualTo(step == SealingProbe.Step.COMMITTED ? 0 : 7);

      db.write(tenant, 5);
      armed.set(false);
      // a killed session comes back as the same sealer's next round; a failed one as a new sealer
      db.sealAll(crash == Crash.KILL_CONNECTION ? dying : db.sealer(ChainFixture.settings(1000), SealingProbe.NONE));
      db.assertIntact(tenant, 12);
    }
  }

  private static Future<Void> crash(Crash crash, SqlConnection tx) {
    if (crash == Crash.FAIL || tx == null) {
      return Future.failedFuture("the sealer crashed here");
    }
    // the server drops the sealer's session, as when its node dies
    return db.pool.query("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            + " WHERE application_name = 'fincloud-audit-sealer' AND datname = current_database()").execute()
        .compose(killed -> tx.query("SELECT 1").execute()).mapEmpty();
  }

  @Test
  void aRowThatCommitsAfterALargerIdIsSealedAfterItNotSkipped() {
    String tenant = "late";
    Sealer sealer = db.sealer(ChainFixture.settings(1000), SealingProbe.NONE);
    SqlConnection slow = db.pool.getConnection().await();
    slow.query("BEGIN").execute().await();
    AuditOutbox.write(slow, List.of(ChainFixture.event(tenant, "ACCOUNT_FROZEN"))).await();
    db.pool.withTransaction(tx -> AuditOutbox.write(tx, List.of(ChainFixture.event(tenant, "ACCOUNT_OPENED"))))
        .await();

    assertThat(sealer.round().await()).isEqualTo(1);
    slow.query("COMMIT").execute().await();
    slow.close().await();
    db.sealAll(sealer);

    List<ChainRecord> chain = db.records(tenant);
    assertThat(chain).extracting(ChainRecord::action).containsExactly("ACCOUNT_OPENED", "ACCOUNT_FROZEN");
    Long firstId = db.pool.preparedQuery("SELECT outbox_id FROM audit_log WHERE tenant = $1 AND seq = 1")
        .execute(Tuple.of(tenant)).await().iterator().next().getLong(0);
    Long secondId = db.pool.preparedQuery("SELECT outbox_id FROM audit_log WHERE tenant = $1 AND seq = 2")
        .execute(Tuple.of(tenant)).await().iterator().next().getLong(0);
    assertThat(secondId).as("the smaller id committed later and is sealed later").isLessThan(firstId);
    db.assertIntact(tenant, 2);
  }

  @Test
  void whileOneSealerHoldsAChainAnotherLeavesItAndTakesOverWhenTheFirstDies() {
    String tenant = "takeover";
    db.write(tenant, 4);
    Promise<Void> hold = Promise.promise();
    AtomicInteger holding = new AtomicInteger();
    Sealer first = db.sealer(ChainFixture.settings(1000), (step, tx) -> {
      if (step != SealingProbe.Step.LOCKED) {
        return Future.succeededFuture();
      }
      holding.incrementAndGet();
      return hold.future();
    });
    Future<Integer> held = first.round();
    while (holding.get() == 0) {
      Thread.onSpinWait();
    }
    Sealer second = db.sealer(ChainFixture.settings(1000), SealingProbe.NONE);
    assertThat(second.round().await()).as("the chain is locked by the first sealer").isZero();

    db.pool.query("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
        + " WHERE application_name = 'fincloud-audit-sealer' AND datname = current_database()"
        + " AND state = 'idle in transaction'").execute().await();
    hold.complete();
    assertThatThrownBy(held::await);

    db.sealAll(second);
    db.assertIntact(tenant, 4);
  }

  @Test
  void twoSealersRacingWithManyWritersKeepEveryChainWhole(Vertx vertx) throws Exception {
    List<String> tenants = List.of("race-a", "race-b", "race-c");
    Sealer one = db.sealer(ChainFixture.settings(50), SealingProbe.NONE);
    Sealer two = db.sealer(ChainFixture.settings(50), SealingProbe.NONE);
    vertx.runOnContext(go -> one.start());
    vertx.runOnContext(go -> two.start());

    List<Future<?>> writers = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      Future<Void> writer = Future.succeededFuture();
      for (int i = 0; i < 60; i++) {
        String tenant = tenants.get((w + i) % tenants.size());
        writer = writer.compose(done -> db.pool.withTransaction(tx -> AuditOutbox.write(tx,
            List.of(ChainFixture.event(tenant, "TRANSFER_POSTED"), ChainFixture.event(tenant, "TRANSFER_POSTED")))));
      }
      writers.add(writer);
    }
    Future.all(writers).await();
    long deadline = System.currentTimeMillis() + 30_000;
    while (db.outboxSize() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    one.stop().await();
    two.stop().await();
    for (String tenant : tenants) {
      db.assertIntact(tenant, 240);
    }
    long checkpoints = db.pool.query("SELECT count(*) FROM audit_checkpoints WHERE tenant LIKE 'race-%'")
        .execute().await().iterator().next().getLong(0);
    assertThat(checkpoints).as("a checkpoint at least every 50 records").isGreaterThanOrEqualTo(3 * 4);
  }

  @Test
  void aChainThatStopsGrowingGetsItsHeadSignedAfterCheckpointSeconds() throws Exception {
    String tenant = "quiet";
    AuditSettings everySecond = new AuditSettings(50, 2000, 1000, 1, 10, null, null, false, List.of());
    Sealer sealer = db.sealer(everySecond, SealingProbe.NONE);
    db.write(tenant, 3);
    db.sealAll(sealer);
    db.write(tenant, 2);
    db.sealAll(sealer);
    long deadline = System.currentTimeMillis() + 15_000;
    while (checkpointHead(tenant) < 5 && System.currentTimeMillis() < deadline) {
      Thread.sleep(200);
      sealer.round().await();
    }
    assertThat(checkpointHead(tenant)).as("the quiet head is signed").isEqualTo(5);
    assertThat(db.verify(tenant, null).getJsonObject("checkpoint").getLong("seq")).isEqualTo(5);
  }

  private static long checkpointHead(String tenant) {
    return db.pool.preparedQuery("SELECT coalesce(max(seq), 0) FROM audit_checkpoints WHERE tenant = $1")
        .execute(Tuple.of(tenant)).await().iterator().next().getLong(0);
  }

  @Test
  void sealedRecordsAreAppendOnly() {
    String tenant = "append-only";
    db.write(tenant, 2);
    db.sealAll(db.sealer(ChainFixture.settings(1000), SealingProbe.NONE));
    for (String change : List.of("UPDATE audit_log SET action = 'X' WHERE tenant = 'append-only'",
        "DELETE FROM audit_log WHERE tenant = 'append-only'", "TRUNCATE audit_log",
        "DELETE FROM audit_checkpoints WHERE tenant = 'append-only'")) {
      assertThatThrownBy(() -> db.pool.query(change).execute().await()).as(change)
          .hasMessageContaining("append-only");
    }
    db.assertIntact(tenant, 2);
  }

  @Test
  void theSealingSessionEndsATransactionLeftIdle() {
    Sealer sealer = db.sealer(ChainFixture.settings(1000), (step, tx) -> step != SealingProbe.Step.LOCKED
        ? Future.succeededFuture()
        : tx.query("SHOW idle_in_transaction_session_timeout").execute().compose(rows -> {
          assertThat(rows.iterator().next().getString(0)).isEqualTo("10s");
          return Future.succeededFuture();
        }));
    db.write("idle", 1);
    assertThat(sealer.round().await()).isEqualTo(1);
  }
}
