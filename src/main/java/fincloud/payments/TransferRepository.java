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
   * What a round of transfer requests needs before risk, in one statement (one round trip, one
   * transaction): the accounts they name, unlocked, and the answers stored for their
   * Idempotency-Keys. A row is an account (key null) or a stored answer (key set).
   */
  private static final String ARRIVALS = "SELECT a.id, a.tenant, a.currency, a.status, a.overdraft_limit, "
      + "a.allow_negative, a.posted, a.pending, a.created_at, "
      + "NULL AS key, NULL AS request_hash, NULL::int AS answer_status, NULL::jsonb AS response"
      + " FROM accounts a WHERE a.id = ANY($1)"
      + " UNION ALL"
      + " SELECT NULL, r.tenant, NULL, NULL, NULL, NULL, NULL, NULL, NULL, r.key, " + IdempotencyRecords.ANSWER_COLUMNS
      + " FROM idempotency_records r"
      + " JOIN unnest($2::text[], $3::text[]) AS k(tenant, key) ON r.tenant = k.tenant AND r.key = k.key";
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

  /** What a round of arrivals read: the accounts found, and the answers kept for the keys. */
  record ArrivalRound(Map<String, AccountState> accounts, Map<Key, Stored> stored) {
    /** The arrival of one request of the round. */
    Arrival of(Key key, Collection<String> accountIds) {
      Map<String, AccountState> named = new HashMap<>();
      for (String id : accountIds) {
        AccountState account = accounts.get(id);
        if (account != null) {
          named.put(id, account);
        }
      }
      return new Arrival(stored.get(key), named);
    }
  }

  /**
   * The stored answers of the keys and the named accounts, unlocked: for replays, and for the
   * checks that come before risk (the ledger reads both again, locked, and decides).
   */
  static Future<ArrivalRound> arrivals(SqlClient client, Collection<Key> keys, Collection<String> accountIds) {
    Tuple parameters = Tuple.of(accountIds.toArray(String[]::new),
        keys.stream().map(Key::tenant).toArray(String[]::new), keys.stream().map(Key::key).toArray(String[]::new));
    return client.preparedQuery(ARRIVALS).execute(parameters).map(rows -> {
      Map<String, AccountState> accounts = new HashMap<>();
      Map<Key, Stored> stored = new HashMap<>();
      for (Row row : rows) {
        String key = row.getString("key");
        if (key == null) {
          accounts.put(row.getString("id"), AccountState.from(row));
        } else {
          stored.put(new Key(row.getString("tenant"), key), IdempotencyRecords.storedFrom(row));
        }
      }
      return new ArrivalRound(accounts, stored);
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
