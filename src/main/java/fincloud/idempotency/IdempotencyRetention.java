package fincloud.idempotency;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * Idempotency records and fences are kept {@code ledger.idempotencyRetentionDays} (the contract
 * promises at least 24 hours), then purged in bounded rounds so that the table stops growing
 * without a long delete ever holding the ledger up. Every node with the payments role purges:
 * rows another node is deleting (or a request holds) are skipped, never waited for. Ages are the
 * database's clock, which stamped the rows.
 */
public final class IdempotencyRetention {
  /** Rows of each table deleted at most per round: a round stays a short transaction. */
  public static final int MAX_ROWS_PER_ROUND = 10_000;
  private static final String PURGE_RECORDS = """
      DELETE FROM idempotency_records WHERE ctid IN (
        SELECT ctid FROM idempotency_records WHERE created_at < now() - make_interval(days => $1)
        LIMIT $2 FOR UPDATE SKIP LOCKED)""";
  private static final String PURGE_FENCES = """
      DELETE FROM idempotency_fences WHERE ctid IN (
        SELECT ctid FROM idempotency_fences WHERE fenced_at < now() - make_interval(days => $1)
        LIMIT $2 FOR UPDATE SKIP LOCKED)""";

  private IdempotencyRetention() {
  }

  /** One round: records and fences older than {@code retentionDays}; answers the rows deleted. */
  public static Future<Integer> purge(SqlClient client, int retentionDays) {
    Tuple bounds = Tuple.of(retentionDays, MAX_ROWS_PER_ROUND);
    return client.preparedQuery(PURGE_RECORDS).execute(bounds)
        .compose(records -> client.preparedQuery(PURGE_FENCES).execute(bounds)
            .map(fences -> records.rowCount() + fences.rowCount()));
  }
}
