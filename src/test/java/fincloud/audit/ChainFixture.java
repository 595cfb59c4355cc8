package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.outbox.AuditEvent;
import fincloud.outbox.AuditOutbox;
import fincloud.testkit.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A fresh database with the audit tables, outbox writers, sealers and the verifier, for tests of
 * the chain below the HTTP API. Blocking helpers: call them from the test thread.
 */
final class ChainFixture implements AutoCloseable {
  final Vertx vertx;
  final String pgUrl;
  final Pool pool;
  final CheckpointKeys keys = new CheckpointKeys(CheckpointKeys.generate(), List.of());
  private final List<Pool> sealerPools = new ArrayList<>();

  ChainFixture(Vertx vertx) {
    this.vertx = vertx;
    this.pgUrl = TestDatabase.freshDatabase();
    this.pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(8))
        .connectingTo(PgConnectOptions.fromUri(pgUrl)).using(vertx).build();
  }

  /** Quick polls, small batches, no checkpoint by time; the keys are the fixture's own. */
  static AuditSettings settings(int checkpointEvery) {
    return new AuditSettings(20, 100, checkpointEvery, 3600, 10, null, null, false, List.of());
  }

  Sealer sealer(AuditSettings settings, SealingProbe probe) {
    Pool sealing = AuditVerticle.sealerPool(vertx, pgUrl, settings);
    sealerPools.add(sealing);
    return new Sealer(vertx, sealing, keys, settings, probe);
  }

  /** Commits {@code count} outbox rows for the tenant, one transaction each. */
  void write(String tenant, int count) {
    for (int i = 0; i < count; i++) {
      pool.withTransaction(tx -> AuditOutbox.write(tx, List.of(event(tenant, "ACCOUNT_OPENED")))).await();
    }
  }

  static AuditEvent event(String tenant, String action) {
    String id = "acc_" + UUID.randomUUID();
    return new AuditEvent(tenant, tenant + "-teller", action, "account", id, true, "127.0.0.1",
        "req-" + UUID.randomUUID(), new JsonObject().put("id", id).put("amount", 9007199254740991L)
            .put("note", "caf\u00e9 \"quoted\" \u0001 / line\nbreak"));
  }

  /** Runs rounds until the outbox is empty. */
  void sealAll(Sealer sealer) {
    for (int i = 0; i < 1000 && outboxSize() > 0; i++) {
      sealer.round().await();
    }
    assertThat(outboxSize()).isZero();
  }

  long outboxSize() {
    return pool.query("SELECT count(*) FROM audit_outbox").execute().await().iterator().next().getLong(0);
  }

  /** Seq 1..n without gap, every outbox row once, nothing left behind, and the chain verifies. */
  void assertIntact(String tenant, long expected) {
    Row row = pool.preparedQuery("SELECT count(*) AS n, count(DISTINCT outbox_id) AS rows, min(seq) AS first,"
        + " max(seq) AS last FROM audit_log WHERE tenant = $1").execute(Tuple.of(tenant)).await().iterator().next();
    assertThat(row.getLong("n")).as("records of " + tenant).isEqualTo(expected);
    assertThat(row.getLong("rows")).as("distinct outbox rows of " + tenant).isEqualTo(expected);
    if (expected > 0) {
      assertThat(row.getLong("first")).isEqualTo(1);
      assertThat(row.getLong("last")).as("head of " + tenant).isEqualTo(expected);
    }
    assertThat(pool.preparedQuery("SELECT count(*) FROM audit_outbox WHERE tenant = $1").execute(Tuple.of(tenant))
        .await().iterator().next().getLong(0)).isZero();
    JsonObject verdict = verify(tenant, null);
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
    assertThat(verdict.getLong("headSeq")).isEqualTo(expected);
  }

  JsonObject verify(String tenant, String witness) {
    return new AuditLog(vertx, pool).verify(tenant, keys, witness == null ? List.of() : List.of(witness)).await();
  }

  /** Runs statements with triggers off, as a superuser tampering with the table would. */
  void tamper(String... statements) {
    pool.withConnection(connection -> {
      Future<RowSet<Row>> chain = connection.query("SET session_replication_role = replica").execute();
      for (String statement : statements) {
        chain = chain.compose(done -> connection.query(statement).execute());
      }
      return chain.compose(done -> connection.query("SET session_replication_role = origin").execute());
    }).await();
  }

  List<ChainRecord> records(String tenant) {
    List<ChainRecord> records = new ArrayList<>();
    pool.preparedQuery("SELECT " + ChainRecord.COLUMNS + " FROM audit_log WHERE tenant = $1 ORDER BY seq")
        .execute(Tuple.of(tenant)).await().forEach(row -> records.add(ChainRecord.fromRow(row)));
    return records;
  }

  @Override
  public void close() {
    sealerPools.forEach(p -> p.close().await());
    pool.close().await();
  }
}
