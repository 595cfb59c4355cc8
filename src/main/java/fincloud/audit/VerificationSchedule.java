package fincloud.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Full verification on a schedule ({@code audit.fullVerificationIntervalSeconds}, 0: off): every
 * chain whose last full verification, on any node, started longer ago than the interval gets one,
 * one chain after another so that a node never recomputes two chains at once. Every audit node
 * looks (at most once a minute); {@code audit_verifications} tells them what the others did, so a
 * cluster verifies each chain about once per interval. A chain found not to hold is logged as an
 * error and its verdict kept, as for one started on demand.
 */
final class VerificationSchedule {
  private static final Logger LOG = LoggerFactory.getLogger(VerificationSchedule.class);
  private static final long MAX_LOOK_EVERY_SECONDS = 60;
  /** Every chain: a loose index scan of audit_log's primary key, one probe per tenant. */
  private static final String CHAINS = """
      WITH RECURSIVE chains(tenant) AS (
        (SELECT tenant FROM audit_log ORDER BY tenant LIMIT 1)
        UNION ALL
        SELECT (SELECT l.tenant FROM audit_log l WHERE l.tenant > c.tenant ORDER BY l.tenant LIMIT 1)
        FROM chains c WHERE c.tenant IS NOT NULL)
      SELECT tenant FROM chains WHERE tenant IS NOT NULL""";

  private final Vertx vertx;
  private final Pool pool;
  private final FullVerifications full;
  private final long intervalSeconds;
  private final Function<String, List<String>> witnesses;
  private long timer = -1;
  private boolean looking;

  /** @param witnesses the checkpoints kept outside the database for a chain */
  VerificationSchedule(Vertx vertx, Pool pool, FullVerifications full, long intervalSeconds,
      Function<String, List<String>> witnesses) {
    this.vertx = vertx;
    this.pool = pool;
    this.full = full;
    this.intervalSeconds = intervalSeconds;
    this.witnesses = witnesses;
  }

  void start() {
    if (intervalSeconds > 0) {
      long everyMs = Math.min(intervalSeconds, MAX_LOOK_EVERY_SECONDS) * 1000;
      timer = vertx.setPeriodic(everyMs, everyMs, tick -> look());
    }
  }

  void stop() {
    vertx.cancelTimer(timer);
  }

  private void look() {
    if (looking) {
      return;
    }
    looking = true;
    pool.query(CHAINS).execute().compose(rows -> {
      List<String> chains = new ArrayList<>();
      rows.forEach(row -> chains.add(row.getString("tenant")));
      Future<Void> done = Future.succeededFuture();
      for (String chain : chains) {
        done = done.compose(previous -> full.runIfDue(chain, intervalSeconds, () -> witnesses.apply(chain)));
      }
      return done;
    }).onComplete(done -> {
      looking = false;
      if (done.failed()) {
        LOG.warn("scheduled full verification stopped, tried again in the next round: {}", done.cause().toString());
      }
    });
  }
}
