package fincloud.accounts;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The SQL of the backfill that seals customer fields still in clear (rows of a version before
 * encryption) in the ledger's tables; the transfers belong to the ledger that accounts and payments
 * share, and the accounts service, which makes the data keys, seals them. Each predicate is the one
 * of its partial index (V12), the same expressions, so that a round reads only the rows in clear. Every
 * read skips the rows other nodes or requests hold: a round never waits, and two nodes never seal
 * the same row.
 */
final class PlainFieldsRepository {
  private static final String PLAIN_ACCOUNT = "erased_at IS NULL AND (coalesce(owner_ref, 'fc1::') NOT LIKE 'fc1:%:%' "
      + "OR coalesce(metadata ->> 'encrypted', '') NOT LIKE 'fc1:%:%' OR metadata - 'encrypted' <> '{}'::jsonb)";
  private static final String PLAIN_TRANSFER = "(coalesce(t.reference, 'fc1::') NOT LIKE 'fc1:%:%' "
      + "OR coalesce(t.metadata ->> 'encrypted', '') NOT LIKE 'fc1:%:%' OR t.metadata - 'encrypted' <> '{}'::jsonb)";
  /** An account being erased holds its row: skipped here, its erasure decides first. */
  private static final String ACCOUNTS = "SELECT id, owner_ref, metadata FROM accounts WHERE " + PLAIN_ACCOUNT
      + " ORDER BY id LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED";
  private static final String SEAL_ACCOUNTS = """
      UPDATE accounts a SET owner_ref = x.owner_ref, metadata = x.metadata
      FROM jsonb_to_recordset($1::jsonb) AS x(id text, owner_ref text, metadata jsonb) WHERE a.id = x.id""";
  /**
   * The debit account's row is share-locked beside the transfer: its erasure (which locks it for
   * update) can then neither start nor be under way between reading whether it is erased and
   * reading its key, so a value is never sealed with the fresh key an erasure leaves behind.
   */
  private static final String TRANSFERS = """
      SELECT t.id, t.debit_account_id, t.reference, t.metadata, a.erased_at IS NOT NULL AS erased
      FROM transfers t JOIN accounts a ON a.id = t.debit_account_id
      WHERE %s ORDER BY t.id LIMIT $1
      FOR NO KEY UPDATE OF t SKIP LOCKED FOR KEY SHARE OF a SKIP LOCKED""".formatted(PLAIN_TRANSFER);
  private static final String DEBITED_BY = """
      SELECT t.id, t.debit_account_id, t.reference, t.metadata, true AS erased
      FROM transfers t WHERE t.debit_account_id = $1 AND %s
      FOR NO KEY UPDATE OF t SKIP LOCKED""".formatted(PLAIN_TRANSFER);
  private static final String SEAL_TRANSFERS = """
      UPDATE transfers t SET reference = x.reference, metadata = x.metadata
      FROM jsonb_to_recordset($1::jsonb) AS x(id text, reference text, metadata jsonb) WHERE t.id = x.id""";
  private static final String ACCOUNT_STATES = """
      SELECT id, erased_at IS NOT NULL AS erased FROM accounts WHERE id = ANY($1) FOR KEY SHARE SKIP LOCKED""";

  private PlainFieldsRepository() {
  }

  /** An account's or a transfer's customer fields as stored; {@code text} is ownerRef or reference. */
  record Fields(String id, String accountId, String text, JsonObject metadata, boolean erased) {
  }

  /** At most {@code limit} accounts, not erased, with a field in clear, locked for the transaction. */
  static Future<List<Fields>> lockAccounts(SqlClient transaction, int limit) {
    return transaction.preparedQuery(ACCOUNTS).execute(Tuple.of(limit)).map(rows -> {
      List<Fields> found = new ArrayList<>();
      for (Row row : rows) {
        found.add(new Fields(row.getString("id"), row.getString("id"), row.getString("owner_ref"),
            json(row.getValue("metadata")), false));
      }
      return found;
    });
  }

  /** At most {@code limit} transfers with a field in clear, locked with their debit accounts. */
  static Future<List<Fields>> lockTransfers(SqlClient transaction, int limit) {
    return transaction.preparedQuery(TRANSFERS).execute(Tuple.of(limit)).map(PlainFieldsRepository::transfers);
  }

  /** The transfers an account being erased debited that still have a field in clear (those not held elsewhere). */
  static Future<List<Fields>> lockDebitedBy(SqlClient transaction, String accountId) {
    return transaction.preparedQuery(DEBITED_BY).execute(Tuple.of(accountId)).map(PlainFieldsRepository::transfers);
  }

  private static List<Fields> transfers(Iterable<Row> rows) {
    List<Fields> found = new ArrayList<>();
    for (Row row : rows) {
      found.add(new Fields(row.getString("id"), row.getString("debit_account_id"), row.getString("reference"),
          json(row.getValue("metadata")), row.getBoolean("erased")));
    }
    return found;
  }

  /**
   * Whether each account is erased, for those among {@code ids} that no one else holds, share-locked
   * for the transaction (an erasure waits until it ends).
   */
  static Future<Map<String, Boolean>> lockAccountStates(SqlClient transaction, Set<String> ids) {
    return transaction.preparedQuery(ACCOUNT_STATES).execute(Tuple.of(ids.toArray(String[]::new))).map(rows -> {
      Map<String, Boolean> erased = new HashMap<>();
      rows.forEach(row -> erased.put(row.getString("id"), row.getBoolean("erased")));
      return erased;
    });
  }

  static Future<Void> sealAccounts(SqlClient transaction, List<Fields> sealed) {
    return update(transaction, SEAL_ACCOUNTS, "owner_ref", sealed);
  }

  static Future<Void> sealTransfers(SqlClient transaction, List<Fields> sealed) {
    return update(transaction, SEAL_TRANSFERS, "reference", sealed);
  }

  private static Future<Void> update(SqlClient transaction, String sql, String textColumn, List<Fields> sealed) {
    if (sealed.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonArray rows = new JsonArray();
    sealed.forEach(f -> rows.add(new JsonObject().put("id", f.id()).put(textColumn, f.text()).put("metadata", f.metadata())));
    return transaction.preparedQuery(sql).execute(Tuple.of(rows)).mapEmpty();
  }

  private static JsonObject json(Object value) {
    return value instanceof JsonObject object ? object : new JsonObject();
  }
}
