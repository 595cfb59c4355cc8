package fincloud.audit;

import fincloud.shared.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Full verifications of a chain in the background, their progress kept in
 * {@code audit_verifications} so that every node can answer for them. One runs per chain at a
 * time (a RUNNING row not updated for {@link #STALE_SECONDS} belonged to a node that died). A
 * completed one is signed with the checkpoint key: the anchor from which {@code GET
 * /v1/audit/verify} recomputes a chain too long to recompute within the request deadline.
 */
final class FullVerifications {
  static final int STALE_SECONDS = 30;
  /** Progress is written at most this often. */
  private static final long PROGRESS_EVERY_MS = 500;
  private static final Logger LOG = LoggerFactory.getLogger(FullVerifications.class);

  private static final String RUNNING = "SELECT * FROM audit_verifications WHERE tenant = $1 AND status = 'RUNNING'"
      + " AND updated_at > now() - $2::int * interval '1 second' ORDER BY id DESC LIMIT 1";
  private static final String START = "INSERT INTO audit_verifications (tenant, status, head_seq) VALUES"
      + " ($1, 'RUNNING', (SELECT coalesce(max(seq), 0) FROM audit_log WHERE tenant = $1)) RETURNING *";
  private static final String PROGRESS =
      "UPDATE audit_verifications SET checked = $2, updated_at = clock_timestamp() WHERE id = $1";
  private static final String FINISH = "UPDATE audit_verifications SET status = $2, checked = $3, head_seq = $4,"
      + " verdict = $5, jws = $6, finished_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1";
  private static final String LATEST = "SELECT * FROM audit_verifications WHERE tenant = $1 ORDER BY id DESC LIMIT 1";
  /** Whether a full verification of the chain was started, on any node, within the interval. */
  private static final String RECENT = "SELECT 1 FROM audit_verifications WHERE tenant = $1"
      + " AND started_at > now() - $2::bigint * interval '1 second' LIMIT 1";
  private static final String SIGNED = "SELECT jws FROM audit_verifications WHERE tenant = $1 AND status = 'DONE'"
      + " AND jws IS NOT NULL ORDER BY id DESC LIMIT 5";

  private final Pool pool;
  private final AuditLog log;
  private final CheckpointKeys keys;

  FullVerifications(Pool pool, AuditLog log, CheckpointKeys keys) {
    this.pool = pool;
    this.log = log;
    this.keys = keys;
  }

  /** Starts a full verification of the chain unless one is running; answers the running one. */
  Future<JsonObject> start(String tenant, Supplier<List<String>> witnesses) {
    return pool.preparedQuery(RUNNING).execute(Tuple.of(tenant, STALE_SECONDS)).compose(running -> {
      if (running.size() > 0) {
        return Future.succeededFuture(toJson(running.iterator().next()));
      }
      return pool.preparedQuery(START).execute(Tuple.of(tenant)).map(started -> {
        Row row = started.iterator().next();
        run(row.getLong("id"), tenant, witnesses.get());
        return toJson(row);
      });
    });
  }

  /**
   * Runs a full verification of the chain to its end unless one was started within
   * {@code intervalSeconds} (on any node) or is running; completes when it is done.
   */
  Future<Void> runIfDue(String tenant, long intervalSeconds, Supplier<List<String>> witnesses) {
    return pool.preparedQuery(RECENT).execute(Tuple.of(tenant, intervalSeconds)).compose(recent -> recent.size() > 0
        ? Future.succeededFuture()
        : pool.preparedQuery(START).execute(Tuple.of(tenant))
            .compose(started -> run(started.iterator().next().getLong("id"), tenant, witnesses.get())));
  }

  /** The chain's newest full verification, or null. */
  Future<JsonObject> latest(String tenant) {
    return pool.preparedQuery(LATEST).execute(Tuple.of(tenant))
        .map(rows -> rows.size() == 0 ? null : toJson(rows.iterator().next()));
  }

  /** The newest completed, valid and signed full verification: {@code {"seq","hash"}}, or null. */
  Future<ChainVerifier.Anchor> anchor(String tenant) {
    return pool.preparedQuery(SIGNED).execute(Tuple.of(tenant)).map(rows -> {
      for (Row row : rows) {
        JsonObject payload = keys.verify(row.getString("jws"));
        if (payload != null && tenant.equals(payload.getString("tenant")) && payload.getBoolean("valid", false)
            && payload.getValue("seq") instanceof Number && payload.getLong("seq") > 0) {
          return new ChainVerifier.Anchor(payload.getLong("seq"), payload.getString("hash"));
        }
      }
      return null;
    });
  }

  private Future<Void> run(long id, String tenant, List<String> witnesses) {
    long[] lastWrite = {0};
    return log.verify(tenant, keys, witnesses, null, checked -> {
      long now = System.currentTimeMillis();
      if (now - lastWrite[0] >= PROGRESS_EVERY_MS) {
        lastWrite[0] = now;
        pool.preparedQuery(PROGRESS).execute(Tuple.of(id, checked));
      }
    }).compose(verdict -> {
      if (!verdict.getBoolean("valid")) {
        LOG.error("full verification {}: audit chain {} does not hold from record {}: {}", id, tenant,
            verdict.getValue("firstInvalidSeq"), verdict.getString("reason"));
      }
      JsonObject signed = new JsonObject().put("tenant", tenant).put("seq", verdict.getLong("headSeq"))
          .put("hash", verdict.getString("headHash")).put("valid", verdict.getBoolean("valid"))
          .put("at", Timestamps.format(Instant.now()));
      return pool.preparedQuery(FINISH).execute(Tuple.of(id, "DONE", verdict.getLong("checked"),
          verdict.getLong("headSeq"), verdict, keys.sign(signed)));
    }).onSuccess(finished -> LOG.info("full verification {} of chain {} done", id, tenant))
        .recover(failed -> {
          LOG.warn("the full verification {} of chain {} failed: {}", id, tenant, failed.toString());
          return pool.preparedQuery(FINISH).execute(Tuple.of(id, "FAILED", 0L, 0L, null, null));
        }).mapEmpty();
  }

  private static JsonObject toJson(Row row) {
    JsonObject verdict = row.getJsonObject("verdict");
    long checked = row.getLong("checked");
    long head = row.getLong("head_seq");
    Instant started = row.getOffsetDateTime("started_at").toInstant();
    Instant until = row.getOffsetDateTime("finished_at") == null ? row.getOffsetDateTime("updated_at").toInstant()
        : row.getOffsetDateTime("finished_at").toInstant();
    long elapsedMs = Math.max(1, until.toEpochMilli() - started.toEpochMilli());
    return new JsonObject().put("id", row.getLong("id")).put("status", row.getString("status"))
        .put("startedAt", Timestamps.format(row.getOffsetDateTime("started_at")))
        .put("finishedAt", Timestamps.format(row.getOffsetDateTime("finished_at")))
        .put("checked", checked).put("headSeq", head)
        .put("progress", head == 0 ? 1.0 : Math.min(1.0, (double) checked / head))
        .put("recordsPerSecond", checked * 1000 / elapsedMs)
        .put("verdict", verdict);
  }
}
