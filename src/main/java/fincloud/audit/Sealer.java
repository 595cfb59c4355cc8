package fincloud.audit;

import fincloud.bus.CallerSeal;
import fincloud.shared.Addresses;
import fincloud.shared.NodeMetrics;
import fincloud.shared.Timestamps;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals the outbox rows that services commit into the per-tenant hash chains, off the request
 * path, in rounds: one round is one database transaction that takes the chain locks it can get,
 * reads the visible outbox rows of those chains in id order, appends them as the next records of
 * their chains, deletes them from the outbox, signs the heads that are due a checkpoint, and
 * commits. An idle sealer looks again every {@code pollMs}; a full round is followed at once by
 * the next.
 *
 * <p><b>Nothing lost, nothing twice.</b> An outbox row becomes visible to the sealer exactly when
 * the transaction that wrote it commits. A round deletes the rows it seals in the same
 * transaction that appends them, so every row is at all times either still in the outbox or in the
 * chain, never both and never neither: a crash anywhere before the commit rolls the whole round
 * back (the rows stay in the outbox for the next round), a crash after it has nothing left to do.
 * As backstops, {@code audit_log} refuses a second record for one outbox row (unique
 * {@code outbox_id}) or for one position (primary key tenant, seq), and the round rolls back
 * unless it deleted exactly the rows it sealed.
 *
 * <p><b>Commit order, with no row skipped.</b> Outbox ids come from a sequence when a row is
 * inserted, not when its transaction commits, so under concurrency a smaller id can commit after
 * a larger one. A sealer that remembered "sealed up to id N" would skip such a row for good. This
 * sealer keeps no position at all: each round takes whatever is in the outbox and visible, so a row
 * that committed late is simply found by a later round and sealed then, after the rows that
 * committed before it. The chain is therefore in commit order at the resolution of a round; within
 * one round rows go in id order, which agrees with commit order wherever that order can be
 * observed: a transaction that starts after another committed draws its ids after the other's.
 * (Rejected: a watermark below {@code pg_snapshot_xmin}, which is exact but stops sealing while
 * any transaction in the whole database server is open — a long report, a verification, a session
 * left idle — and makes the lag depend on the slowest client of the server.)
 *
 * <p><b>One sealer per chain, also in a cluster.</b> A round takes, per tenant, the
 * transaction-scoped advisory lock {@code pg_try_advisory_xact_lock(LOCK_SPACE, hashtext(tenant))}
 * and seals only the tenants it got; the others are being sealed by another node right now, which
 * will also pick up these rows. Locks last one round: if a node dies, PostgreSQL ends its
 * transaction (at once when the connection drops, after {@code lockTimeoutSeconds} when the node
 * hangs with the transaction open) and the next round of any other node takes the chain over. The
 * chain head is read from the database under the lock every round, never from memory.
 */
final class Sealer {
  /** The advisory-lock namespace of chain sealing (ASCII "AUDT"). */
  static final int LOCK_SPACE = 0x41554454;

  private static final Logger LOG = LoggerFactory.getLogger(Sealer.class);
  /** How long a published checkpoint's seal holds: other nodes take it as it comes, or never. */
  private static final long PUBLISHED_VALID_MS = 60_000;

  /** The distinct tenants with outbox rows: a loose index scan, one probe per tenant. */
  private static final String PENDING_TENANTS = """
      WITH RECURSIVE pending(tenant) AS (
        (SELECT tenant FROM audit_outbox ORDER BY tenant LIMIT 1)
        UNION ALL
        SELECT (SELECT o.tenant FROM audit_outbox o WHERE o.tenant > p.tenant ORDER BY o.tenant LIMIT 1)
        FROM pending p WHERE p.tenant IS NOT NULL)
      SELECT tenant FROM pending WHERE tenant IS NOT NULL""";
  /** Chains whose head is newer than their last checkpoint and that checkpoint is old enough. */
  private static final String CHECKPOINTS_DUE = """
      WITH RECURSIVE chains(tenant) AS (
        (SELECT tenant FROM audit_log ORDER BY tenant LIMIT 1)
        UNION ALL
        SELECT (SELECT l.tenant FROM audit_log l WHERE l.tenant > c.tenant ORDER BY l.tenant LIMIT 1)
        FROM chains c WHERE c.tenant IS NOT NULL)
      SELECT c.tenant FROM chains c
      CROSS JOIN LATERAL (SELECT seq FROM audit_log l WHERE l.tenant = c.tenant ORDER BY seq DESC LIMIT 1) h
      LEFT JOIN LATERAL (SELECT seq, at FROM audit_checkpoints k WHERE k.tenant = c.tenant
        ORDER BY seq DESC LIMIT 1) k ON true
      WHERE c.tenant IS NOT NULL
        AND (k.seq IS NULL OR (k.seq < h.seq AND k.at <= now() - $1::int * interval '1 second'))""";
  private static final String LOCK = """
      SELECT t AS tenant FROM unnest($1::text[]) AS t WHERE pg_try_advisory_xact_lock($2, hashtext(t))""";
  private static final String OUTBOX = """
      SELECT id, tenant, actor, action, entity_type, entity_id, success, origin, request_id, at, data
      FROM audit_outbox WHERE tenant = ANY($1) ORDER BY id LIMIT $2""";
  private static final String HEADS = """
      SELECT t.tenant, h.seq, h.hash, k.seq AS checkpoint_seq, k.at AS checkpoint_at, k.jws AS checkpoint_jws
      FROM unnest($1::text[]) AS t(tenant)
      LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log l WHERE l.tenant = t.tenant ORDER BY seq DESC LIMIT 1) h
        ON true
      LEFT JOIN LATERAL (SELECT seq, at, jws FROM audit_checkpoints k WHERE k.tenant = t.tenant
        ORDER BY seq DESC LIMIT 1) k ON true""";
  /** Appends the records (every field but the hashes copied from the outbox row) and takes the rows out. */
  private static final String SEAL = """
      WITH s AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
          AS s(id, seq, prev_hash, hash)),
        sealed AS (
          INSERT INTO audit_log (tenant, seq, at, actor, action, entity_type, entity_id, success, origin,
            request_id, data, prev_hash, hash, outbox_id)
          SELECT o.tenant, s.seq, o.at, o.actor, o.action, o.entity_type, o.entity_id, o.success, o.origin,
            o.request_id, o.data, s.prev_hash, s.hash, o.id
          FROM s JOIN audit_outbox o ON o.id = s.id
          RETURNING 1),
        taken AS (DELETE FROM audit_outbox WHERE id = ANY($1::bigint[]) RETURNING 1)
      SELECT (SELECT count(*) FROM sealed) AS sealed, (SELECT count(*) FROM taken) AS taken""";
  /** The records from a chain's last checkpoint to its head, which the sealer recomputes before signing. */
  private static final String SINCE_CHECKPOINT = "SELECT " + ChainRecord.COLUMNS
      + " FROM audit_log WHERE tenant = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4";
  /** A head further than this from its last checkpoint is not recomputed in a round: it is not signed. */
  private static final int MAX_RECORDS_SINCE_CHECKPOINT = 200_000;
  private static final String CHECKPOINT = """
      INSERT INTO audit_checkpoints (tenant, seq, hash, at, kid, jws)
      SELECT tenant, seq, hash, at::timestamptz, kid, jws
      FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
        AS c(tenant, seq, hash, at, kid, jws)""";

  private final Vertx vertx;
  private final Pool pool;
  private final CheckpointKeys keys;
  private final AuditSettings settings;
  private final SealingProbe probe;
  private final Timer lag;
  private final Counter sealedCount;
  private final Counter alarmCount;
  private final Witness witness;
  /** The chains whose head the sealer refused to sign, and why (logged once per reason). */
  private final Map<String, String> alarms = new ConcurrentHashMap<>();

  private boolean stopped = true;
  private long timer = -1;
  private int failures;
  private Instant nextCheckpointScan = Instant.EPOCH;
  private Future<Integer> current = Future.succeededFuture(0);

  /** A sealer whose witness lives in memory only. */
  Sealer(Vertx vertx, Pool pool, CheckpointKeys keys, AuditSettings settings, SealingProbe probe) {
    this(vertx, pool, keys, settings, probe, Witness.inMemory());
  }

  Sealer(Vertx vertx, Pool pool, CheckpointKeys keys, AuditSettings settings, SealingProbe probe, Witness witness) {
    this.vertx = vertx;
    this.witness = witness;
    this.pool = pool;
    this.keys = keys;
    this.settings = settings;
    this.probe = probe;
    MeterRegistry registry = NodeMetrics.registry();
    lag = Timer.builder(NodeMetrics.AUDIT_SEAL_LAG)
        .description("From an outbox row's insert to the commit of its sealed record").register(registry);
    sealedCount = Counter.builder(NodeMetrics.AUDIT_SEALED).description("Records sealed into the chains")
        .register(registry);
    alarmCount = Counter.builder(NodeMetrics.AUDIT_ALARMS)
        .description("Chain heads the sealer refused to sign because they do not extend the last checkpoint")
        .register(registry);
  }

  /** Starts the loop on the caller's context. */
  void start() {
    stopped = false;
    next(0);
  }

  /** Stops looking for work; completes when the round in progress, if any, has ended. */
  Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    return current.<Void>mapEmpty().otherwiseEmpty();
  }

  /**
   * One round: seals what is visible now (up to {@code batchSize} rows) and the checkpoints that
   * are due; the number of records sealed.
   */
  Future<Integer> round() {
    return candidates().compose(tenants -> tenants.isEmpty() ? Future.succeededFuture((SealPlan) null)
            : pool.withTransaction(tx -> sealIn(tx, tenants)))
        .compose(plan -> plan == null ? Future.succeededFuture(0)
            : probe.reached(SealingProbe.Step.COMMITTED, null).map(done -> committed(plan)));
  }

  private void next(long delayMs) {
    if (stopped) {
      return;
    }
    if (delayMs <= 0) {
      vertx.runOnContext(go -> loop());
    } else {
      timer = vertx.setTimer(delayMs, go -> loop());
    }
  }

  private void loop() {
    if (stopped) {
      return;
    }
    current = round().onComplete(done -> {
      if (done.failed()) {
        failures++;
        LOG.warn("sealing round failed (attempt {}): {}", failures, done.cause().toString());
        next(Math.min(5000, settings.pollMs() << Math.min(failures, 7)));
      } else {
        failures = 0;
        next(done.result() >= settings.batchSize() ? 0 : settings.pollMs());
      }
    });
  }

  /** The tenants with outbox rows, and now and then those whose head waits for a checkpoint. */
  private Future<List<String>> candidates() {
    Future<Set<String>> pending = pool.query(PENDING_TENANTS).execute().map(Sealer::tenants);
    Instant now = Instant.now();
    if (now.isBefore(nextCheckpointScan)) {
      return pending.map(List::copyOf);
    }
    return pending.compose(tenants -> pool.preparedQuery(CHECKPOINTS_DUE)
        .execute(Tuple.of((int) settings.checkpointSeconds()))
        .map(due -> {
          nextCheckpointScan = now.plus(Duration.ofMillis(Math.max(500, settings.checkpointSeconds() * 500)));
          tenants.addAll(tenants(due));
          return List.copyOf(tenants);
        }));
  }

  private Future<SealPlan> sealIn(SqlConnection tx, List<String> candidates) {
    Tuple wanted = Tuple.tuple().addArrayOfString(candidates.toArray(String[]::new)).addInteger(LOCK_SPACE);
    return tx.preparedQuery(LOCK).execute(wanted)
        .map(rows -> List.copyOf(tenants(rows)))
        .compose(locked -> probe.reached(SealingProbe.Step.LOCKED, tx).map(locked))
        .compose(locked -> locked.isEmpty() ? Future.succeededFuture((SealPlan) null) : plan(tx, locked)
            .compose(plan -> write(tx, plan))
            .compose(plan -> probe.reached(SealingProbe.Step.WRITTEN, tx).map(plan)));
  }

  private Future<SealPlan> plan(SqlConnection tx, List<String> locked) {
    String[] tenants = locked.toArray(String[]::new);
    return tx.preparedQuery(OUTBOX).execute(Tuple.tuple().addArrayOfString(tenants).addInteger(settings.batchSize()))
        .compose(outbox -> tx.preparedQuery(HEADS).execute(Tuple.tuple().addArrayOfString(tenants))
            .compose(heads -> probe.reached(SealingProbe.Step.READ, tx)
                // hashing a full batch and signing take a few milliseconds: not on the event loop
                .compose(read -> vertx.executeBlocking(() -> SealPlan.of(outbox, heads, settings, Timestamps.now()),
                    false))))
        .compose(plan -> sinceCheckpoints(tx, plan)
            .compose(segments -> vertx.executeBlocking(() -> signDue(plan, segments), false)));
  }

  /** For every chain due a checkpoint, its stored records from its last checkpoint to its head. */
  private Future<Map<String, List<ChainRecord>>> sinceCheckpoints(SqlConnection tx, SealPlan plan) {
    Map<String, List<ChainRecord>> segments = new ConcurrentHashMap<>();
    Future<Void> read = Future.succeededFuture();
    for (String tenant : plan.due.keySet()) {
      SealPlan.Head stored = plan.stored.get(tenant);
      long from = Math.max(1, stored.checkpointSeq());
      read = read.compose(done -> tx.preparedQuery(SINCE_CHECKPOINT)
          .execute(Tuple.of(tenant, from, stored.seq(), MAX_RECORDS_SINCE_CHECKPOINT + 1))
          .map(rows -> {
            List<ChainRecord> records = new ArrayList<>(rows.size());
            rows.forEach(row -> records.add(ChainRecord.fromRow(row)));
            segments.put(tenant, records);
            return null;
          }));
    }
    return read.map(segments);
  }

  /** Signs the due heads that extend their last checkpoint; raises an alarm for the others. */
  private SealPlan signDue(SealPlan plan, Map<String, List<ChainRecord>> segments) {
    Instant now = Timestamps.now();
    plan.due.keySet().forEach(tenant -> {
      SealPlan.Head stored = plan.stored.get(tenant);
      List<ChainRecord> records = segments.get(tenant);
      String problem = records.size() > MAX_RECORDS_SINCE_CHECKPOINT
          ? "more than " + MAX_RECORDS_SINCE_CHECKPOINT + " records since the last checkpoint"
          : HeadCheck.problem(tenant, stored.checkpointJws() == null ? null : keys.verify(stored.checkpointJws()),
              stored.checkpointSeq(), witnessed(tenant), records, stored.seq());
      if (problem == null) {
        plan.sign(tenant, keys, now, plan.window(tenant, records));
        alarms.remove(tenant);
      } else {
        alarm(tenant, problem);
      }
    });
    return plan;
  }

  private JsonObject witnessed(String tenant) {
    String jws = witness.jws(tenant);
    return jws == null ? null : keys.verify(jws);
  }

  /**
   * Tampering is reported, never fatal: the chain keeps growing (nothing is lost), its head is not
   * signed, and verification names the first bad record.
   */
  private void alarm(String tenant, String problem) {
    if (!problem.equals(alarms.put(tenant, problem))) {
      alarmCount.increment();
      LOG.error("audit chain {} has been tampered with: {}; its head is not signed", tenant, problem);
    }
  }

  /** The chains whose head the sealer refuses to sign, and why. */
  Map<String, String> alarms() {
    return Map.copyOf(alarms);
  }

  private Future<SealPlan> write(SqlConnection tx, SealPlan plan) {
    Future<Void> sealed = plan.links.isEmpty() ? Future.succeededFuture() : seal(tx, plan);
    return sealed.compose(done -> plan.checkpoints.isEmpty() ? Future.succeededFuture()
            : tx.preparedQuery(CHECKPOINT).execute(checkpointColumns(plan)).mapEmpty())
        .map(plan);
  }

  private Future<Void> seal(SqlConnection tx, SealPlan plan) {
    int n = plan.links.size();
    Long[] ids = new Long[n];
    Long[] seqs = new Long[n];
    String[] prevHashes = new String[n];
    String[] hashes = new String[n];
    for (int i = 0; i < n; i++) {
      SealPlan.Link link = plan.links.get(i);
      ids[i] = link.outboxId();
      seqs[i] = link.record().seq();
      prevHashes[i] = link.record().prevHash();
      hashes[i] = link.record().hash();
    }
    return tx.preparedQuery(SEAL).execute(Tuple.tuple().addArrayOfLong(ids).addArrayOfLong(seqs)
        .addArrayOfString(prevHashes).addArrayOfString(hashes)).compose(counts -> {
      Row row = counts.iterator().next();
      if (row.getLong("sealed") != n || row.getLong("taken") != n) {
        return Future.failedFuture(new IllegalStateException("the outbox changed under the sealer: planned " + n
            + ", sealed " + row.getLong("sealed") + ", taken " + row.getLong("taken") + "; rolled back"));
      }
      return Future.succeededFuture();
    });
  }

  private static Tuple checkpointColumns(SealPlan plan) {
    List<SealPlan.Checkpoint> all = plan.checkpoints;
    return Tuple.tuple()
        .addArrayOfString(all.stream().map(SealPlan.Checkpoint::tenant).toArray(String[]::new))
        .addArrayOfLong(all.stream().map(SealPlan.Checkpoint::seq).toArray(Long[]::new))
        .addArrayOfString(all.stream().map(SealPlan.Checkpoint::hash).toArray(String[]::new))
        .addArrayOfString(all.stream().map(SealPlan.Checkpoint::at).toArray(String[]::new))
        .addArrayOfString(all.stream().map(SealPlan.Checkpoint::kid).toArray(String[]::new))
        .addArrayOfString(all.stream().map(SealPlan.Checkpoint::jws).toArray(String[]::new));
  }

  /** After the commit: tell subscribers which chains grew, and measure. */
  private int committed(SealPlan plan) {
    plan.grown.forEach((tenant, head) -> vertx.eventBus().publish(Addresses.AUDIT_SEALED + "." + tenant,
        new JsonObject().put("tenant", tenant).put("headSeq", head)));
    long now = System.currentTimeMillis();
    for (SealPlan.Link link : plan.links) {
      lag.record(Duration.ofMillis(Math.max(0, now - Instant.parse(link.record().at()).toEpochMilli())));
    }
    sealedCount.increment(plan.links.size());
    if (!plan.checkpoints.isEmpty()) {
      witness.remember(plan.checkpoints);
      // every node of the cluster keeps them too (Witness#learn), out of this database owner's reach
      plan.checkpoints.forEach(checkpoint -> {
        JsonObject signed = new JsonObject().put("tenant", checkpoint.tenant()).put("seq", checkpoint.seq())
            .put("jws", checkpoint.jws());
        vertx.eventBus().publish(Addresses.AUDIT_CHECKPOINT_SIGNED, signed,
            CallerSeal.sealed(vertx, Addresses.AUDIT_CHECKPOINT_SIGNED, signed, PUBLISHED_VALID_MS));
      });
      vertx.executeBlocking(() -> {
        witness.save();
        return null;
      }, true);
    }
    return plan.links.size();
  }

  /** The JWS of the newest checkpoint this node signed for the chain, or null. */
  String witness(String tenant) {
    return witness.jws(tenant);
  }

  private static Set<String> tenants(RowSet<Row> rows) {
    Set<String> tenants = new LinkedHashSet<>();
    rows.forEach(row -> tenants.add(row.getString("tenant")));
    return tenants;
  }
}
