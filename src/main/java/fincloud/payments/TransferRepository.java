package fincloud.payments;

import fincloud.bus.VelocityRelease;
import fincloud.bus.VelocitySlot;
import fincloud.idempotency.IdempotencyRecords.Key;
import fincloud.idempotency.IdempotencyRecords.Stored;
import fincloud.idempotency.IdempotencyRecords;
import fincloud.shared.Page;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads of payments: transfers, the accounts a request names, and holds due to expire. */
final class TransferRepository {
  private static final String COLUMNS = "id, tenant, debit_account_id, credit_account_id, amount, currency, "
      + "mode, status, posted_amount, reference, metadata, risk, created_at, posted_at, expires_at, void_reason";
  private static final String GET = "SELECT " + COLUMNS + " FROM transfers WHERE id = $1 AND tenant = $2";
  private static final String LIST = "SELECT " + COLUMNS + " FROM transfers WHERE tenant = $1 "
      + "AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3";
  private static final String LIST_BY_ACCOUNT = "SELECT " + COLUMNS + " FROM ("
      + " (SELECT " + COLUMNS + " FROM transfers WHERE debit_account_id = $2 AND ($3::text IS NULL OR id < $3)"
      + "  ORDER BY id DESC LIMIT $4)"
      + " UNION ALL"
      + " (SELECT " + COLUMNS + " FROM transfers WHERE credit_account_id = $2 AND ($3::text IS NULL OR id < $3)"
      + "  ORDER BY id DESC LIMIT $4)) t WHERE tenant = $1 ORDER BY id DESC LIMIT $4";
  /**
   * What a transfer request needs before risk, in one statement (one round trip, one transaction):
   * the answer stored for its Idempotency-Key, if any, and the accounts it names, unlocked. One
   * row per account found (each repeating the stored answer), or one row of nulls.
   */
  private static final String ARRIVAL = "SELECT a.id, a.tenant, a.currency, a.status, a.overdraft_limit, "
      + "a.allow_negative, a.posted, a.pending, a.created_at, " + IdempotencyRecords.ANSWER_COLUMNS
      + " FROM (SELECT 1) AS one"
      + " LEFT JOIN idempotency_records r ON r.tenant = $2 AND r.key = $3"
      + " LEFT JOIN accounts a ON a.id = ANY($1)";
  private static final String DUE_TO_EXPIRE = """
      SELECT id FROM transfers WHERE status = 'PENDING' AND expires_at <= $2
      ORDER BY expires_at LIMIT $1""";

  private static final String HELD_SLOT = """
      SELECT tenant, risk -> 'velocitySlot' AS slot FROM transfers
      WHERE id = $1 AND status = 'VOIDED' AND risk ? 'velocitySlot'""";

  private TransferRepository() {
  }

  /** A voided hold's velocity slot and its tenant; null when it took none. */
  static Future<VelocityRelease> heldSlot(SqlClient client, String id) {
    return client.preparedQuery(HELD_SLOT).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      return new VelocityRelease(row.getString("tenant"),
          List.of(VelocitySlot.fromJson((JsonObject) row.getValue("slot"))));
    });
  }

  static Future<JsonObject> find(SqlClient client, String id, String tenant) {
    return client.preparedQuery(GET).execute(Tuple.of(id, tenant))
        .map(rows -> rows.size() == 0 ? null : TransferState.from(rows.iterator().next()).toJson());
  }

  static Future<JsonObject> list(SqlClient client, String tenant, String accountId, Page page) {
    var query = accountId == null
        ? client.preparedQuery(LIST).execute(Tuple.of(tenant, page.after(), page.limit() + 1))
        : client.preparedQuery(LIST_BY_ACCOUNT).execute(Tuple.of(tenant, accountId, page.after(), page.limit() + 1));
    return query.map(rows -> {
      List<JsonObject> items = new ArrayList<>();
      List<String> positions = new ArrayList<>();
      for (Row row : rows) {
        items.add(TransferState.from(row).toJson());
        positions.add(row.getString("id"));
      }
      return page.toBody(items, positions);
    });
  }

  /** A request as it arrives: the answer kept for its key (null if none), and the accounts it names. */
  record Arrival(Stored prior, Map<String, AccountState> accounts) {
  }

  /**
   * The stored answer of the key and the named accounts, unlocked: for a replay, and for the checks
   * that come before risk (the ledger reads both again, locked, and decides).
   */
  static Future<Arrival> arrival(SqlClient client, Key key, Collection<String> accountIds) {
    Tuple parameters = Tuple.of(accountIds.toArray(String[]::new), key.tenant(), key.key());
    return client.preparedQuery(ARRIVAL).execute(parameters).map(rows -> {
      Stored prior = null;
      Map<String, AccountState> accounts = new HashMap<>();
      for (Row row : rows) {
        prior = IdempotencyRecords.storedFrom(row);
        if (row.getString("id") != null) {
          accounts.put(row.getString("id"), AccountState.from(row));
        }
      }
      return new Arrival(prior, accounts);
    });
  }

  static Future<List<String>> dueToExpire(SqlClient client, int limit, Instant now) {
    return client.preparedQuery(DUE_TO_EXPIRE).execute(Tuple.of(limit, now.atOffset(ZoneOffset.UTC))).map(rows -> {
      List<String> ids = new ArrayList<>();
      rows.forEach(row -> ids.add(row.getString("id")));
      return ids;
    });
  }
}
