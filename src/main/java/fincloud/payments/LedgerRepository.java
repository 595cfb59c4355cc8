package fincloud.payments;

import fincloud.idempotency.IdempotencyRecords;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ledger writer's SQL. Lock order, the same in every transaction that changes money, so that
 * groups never deadlock: transfers by id, then accounts by id, then Idempotency-Keys (try-locks,
 * which never wait).
 */
final class LedgerRepository {
  private static final String TRANSFER_COLUMNS = "id, tenant, debit_account_id, credit_account_id, amount, "
      + "currency, mode, status, posted_amount, reference, metadata, risk, created_at, posted_at, expires_at, void_reason";
  private static final String LOCK_TRANSFERS = "SELECT " + TRANSFER_COLUMNS
      + " FROM transfers WHERE id = ANY($1) ORDER BY id FOR UPDATE";
  /** Expiry skips rows another node is settling or expiring: that node decides them. */
  private static final String LOCK_EXPIRING = "SELECT " + TRANSFER_COLUMNS
      + " FROM transfers WHERE id = ANY($1) AND status = 'PENDING' ORDER BY id FOR UPDATE SKIP LOCKED";
  private static final String LOCK_ACCOUNTS = """
      SELECT id, tenant, currency, status, overdraft_limit, allow_negative, posted, pending, created_at
      FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE""";
  private static final String INSERT_TRANSFERS = "INSERT INTO transfers (" + TRANSFER_COLUMNS + ") SELECT "
      + TRANSFER_COLUMNS + " FROM jsonb_to_recordset($1::jsonb) AS x(id text, tenant text, "
      + "debit_account_id text, credit_account_id text, amount bigint, currency text, mode text, status text, "
      + "posted_amount bigint, reference text, metadata jsonb, risk jsonb, created_at timestamptz, "
      + "posted_at timestamptz, expires_at timestamptz, void_reason text)";
  private static final String UPDATE_TRANSFERS = """
      UPDATE transfers t SET status = x.status, posted_amount = x.posted_amount, posted_at = x.posted_at,
        void_reason = x.void_reason
      FROM jsonb_to_recordset($1::jsonb) AS x(id text, status text, posted_amount bigint,
        posted_at timestamptz, void_reason text)
      WHERE t.id = x.id""";
  private static final String INSERT_ENTRIES = """
      INSERT INTO entries (account_id, transfer_id, side, amount, balance_after, posted_at)
      SELECT account_id, transfer_id, side, amount, balance_after, posted_at
      FROM jsonb_to_recordset($1::jsonb) AS x(account_id text, transfer_id text, side text, amount bigint,
        balance_after bigint, posted_at timestamptz)""";
  private static final String UPDATE_ACCOUNTS = """
      UPDATE accounts a SET posted = x.posted, pending = x.pending
      FROM jsonb_to_recordset($1::jsonb) AS x(id text, posted bigint, pending bigint)
      WHERE a.id = x.id""";

  private LedgerRepository() {
  }

  static Future<Map<String, TransferState>> lockTransfers(SqlClient tx, Collection<String> settled,
      Collection<String> expiring) {
    Map<String, TransferState> found = new HashMap<>();
    Future<Void> first = settled.isEmpty() ? Future.succeededFuture()
        : tx.preparedQuery(LOCK_TRANSFERS).execute(Tuple.of(settled.toArray(String[]::new)))
            .map(rows -> collect(rows, found));
    return first.compose(done -> expiring.isEmpty() ? Future.succeededFuture()
            : tx.preparedQuery(LOCK_EXPIRING).execute(Tuple.of(expiring.toArray(String[]::new)))
                .map(rows -> collect(rows, found)))
        .map(found);
  }

  private static Void collect(Iterable<Row> rows, Map<String, TransferState> into) {
    rows.forEach(row -> into.putIfAbsent(row.getString("id"), TransferState.from(row)));
    return null;
  }

  static Future<Map<String, AccountState>> lockAccounts(SqlClient tx, Collection<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(new HashMap<>());
    }
    return tx.preparedQuery(LOCK_ACCOUNTS).execute(Tuple.of(ids.toArray(String[]::new))).map(rows -> {
      Map<String, AccountState> accounts = new HashMap<>();
      rows.forEach(row -> accounts.put(row.getString("id"), AccountState.from(row)));
      return accounts;
    });
  }

  /** Writes a decided group; all statements are pipelined on the transaction's connection. */
  static Future<Void> write(SqlClient tx, LedgerBook book) {
    return Future.all(List.of(
        execute(tx, INSERT_TRANSFERS, book.created().stream().map(TransferState::toRow).toList()),
        execute(tx, UPDATE_TRANSFERS, book.updated().stream().map(TransferState::toRow).toList()),
        execute(tx, INSERT_ENTRIES, book.entries()),
        execute(tx, UPDATE_ACCOUNTS, book.changedAccounts().stream().map(a -> new JsonObject()
            .put("id", a.id).put("posted", a.posted).put("pending", a.pending)).toList()),
        IdempotencyRecords.save(tx, book.newRecords()),
        fincloud.outbox.AuditOutbox.write(tx, book.audit()))).mapEmpty();
  }

  private static Future<Void> execute(SqlClient tx, String sql, List<JsonObject> rows) {
    if (rows.isEmpty()) {
      return Future.succeededFuture();
    }
    return tx.preparedQuery(sql).execute(Tuple.of(new JsonArray(List.copyOf(rows)))).mapEmpty();
  }
}
