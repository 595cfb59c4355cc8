package fincloud.accounts;

import fincloud.shared.AccountStatus;
import fincloud.shared.Page;
import fincloud.shared.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The SQL of the accounts service: accounts, statements and the trial balance. */
public final class AccountRepository {
  private static final String COLUMNS = "id, tenant, currency, status, overdraft_limit, allow_negative, "
      + "owner_ref, metadata, posted, pending, created_at, erased_at";
  private static final String INSERT = "INSERT INTO accounts (" + COLUMNS + ") "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, now(), NULL) RETURNING " + COLUMNS;
  private static final String GET = "SELECT " + COLUMNS + " FROM accounts WHERE id = $1 AND tenant = $2";
  private static final String LOCK = GET + " FOR UPDATE";
  private static final String SET_STATUS = "UPDATE accounts SET status = $2 WHERE id = $1 RETURNING " + COLUMNS;
  private static final String ERASE = "UPDATE accounts SET owner_ref = NULL, metadata = '{}', erased_at = now() "
      + "WHERE id = $1 RETURNING " + COLUMNS;
  private static final String LIST = "SELECT " + COLUMNS + " FROM accounts WHERE tenant = $1 "
      + "AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3";
  private static final String ENTRIES = """
      SELECT id, transfer_id, side, amount, balance_after, posted_at FROM entries
      WHERE account_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3""";
  private static final String SUM_ACCOUNTS = """
      SELECT currency, count(*) AS accounts, coalesce(sum(posted), 0) AS posted, coalesce(sum(pending), 0) AS pending
      FROM accounts WHERE tenant = $1 GROUP BY currency""";
  private static final String COUNT_POSTED = """
      SELECT currency, count(*) AS transfers FROM transfers
      WHERE tenant = $1 AND status = 'POSTED' GROUP BY currency""";
  private static final String COUNT_ENTRIES = """
      SELECT a.currency, count(*) AS entries FROM entries e JOIN accounts a ON a.id = e.account_id
      WHERE a.tenant = $1 GROUP BY a.currency""";

  private AccountRepository() {
  }

  public static Future<JsonObject> insert(SqlClient client, String id, String tenant, JsonObject request) {
    return client.preparedQuery(INSERT).execute(Tuple.of(id, tenant, request.getString("currency"),
            AccountStatus.ACTIVE.name(), request.getLong("overdraftLimit", 0L),
            request.getBoolean("allowNegative", false), request.getString("ownerRef"), request.getJsonObject("metadata", new JsonObject())))
        .map(rows -> toJson(rows.iterator().next()));
  }

  /** The account as its tenant sees it, or null when it does not exist for that tenant. */
  public static Future<JsonObject> find(SqlClient client, String id, String tenant) {
    return client.preparedQuery(GET).execute(Tuple.of(id, tenant)).map(AccountRepository::firstOrNull);
  }

  /** Like {@link #find}, locking the row until the transaction ends. */
  public static Future<JsonObject> lock(SqlClient transaction, String id, String tenant) {
    return transaction.preparedQuery(LOCK).execute(Tuple.of(id, tenant)).map(AccountRepository::firstOrNull);
  }

  public static Future<JsonObject> setStatus(SqlClient transaction, String id, AccountStatus status) {
    return transaction.preparedQuery(SET_STATUS).execute(Tuple.of(id, status.name()))
        .map(rows -> toJson(rows.iterator().next()));
  }

  /** Drops the customer fields' ciphertext from the row and marks it erased (the key is destroyed apart). */
  public static Future<JsonObject> erase(SqlClient transaction, String id) {
    return transaction.preparedQuery(ERASE).execute(Tuple.of(id)).map(rows -> toJson(rows.iterator().next()));
  }

  public static Future<JsonObject> list(SqlClient client, String tenant, Page page) {
    return client.preparedQuery(LIST).execute(Tuple.of(tenant, page.after(), page.limit() + 1))
        .map(rows -> {
          List<JsonObject> items = new ArrayList<>();
          List<String> positions = new ArrayList<>();
          rows.forEach(row -> {
            items.add(toJson(row));
            positions.add(row.getString("id"));
          });
          return page.toBody(items, positions);
        });
  }

  public static Future<JsonObject> entries(SqlClient client, String accountId, Page page) {
    Long after = page.after() == null ? null : Long.valueOf(page.after());
    return client.preparedQuery(ENTRIES).execute(Tuple.of(accountId, after, page.limit() + 1))
        .map(rows -> {
          List<JsonObject> items = new ArrayList<>();
          List<String> positions = new ArrayList<>();
          rows.forEach(row -> {
            items.add(new JsonObject()
                .put("transferId", row.getString("transfer_id"))
                .put("side", row.getString("side"))
                .put("amount", row.getLong("amount"))
                .put("balanceAfter", row.getLong("balance_after"))
                .put("postedAt", Timestamps.format(row.getOffsetDateTime("posted_at"))));
            positions.add(Long.toString(row.getLong("id")));
          });
          return page.toBody(items, positions);
        });
  }

  /** Run inside one REPEATABLE READ transaction so that the three counts are one snapshot. */
  public static Future<JsonArray> trialBalance(SqlClient snapshot, String tenant) {
    Tuple byTenant = Tuple.of(tenant);
    Future<RowSet<Row>> sums = snapshot.preparedQuery(SUM_ACCOUNTS).execute(byTenant);
    Future<RowSet<Row>> posted = snapshot.preparedQuery(COUNT_POSTED).execute(byTenant);
    Future<RowSet<Row>> entries = snapshot.preparedQuery(COUNT_ENTRIES).execute(byTenant);
    return Future.all(sums, posted, entries).map(done -> trialBalanceLines(sums.result(),
        counts(posted.result(), "transfers"), counts(entries.result(), "entries")));
  }

  private static JsonArray trialBalanceLines(RowSet<Row> sums, Map<String, Long> posted, Map<String, Long> entries) {
    Map<String, JsonObject> lines = new TreeMap<>();
    for (Row row : sums) {
      String currency = row.getString("currency");
      lines.put(currency, new JsonObject()
          .put("currency", currency)
          .put("accounts", row.getLong("accounts"))
          .put("sumPosted", integer(row.getValue("posted")))
          .put("sumPending", integer(row.getValue("pending")))
          .put("postedTransfers", posted.getOrDefault(currency, 0L))
          .put("entries", entries.getOrDefault(currency, 0L)));
    }
    return new JsonArray(new ArrayList<>(lines.values()));
  }

  private static Map<String, Long> counts(RowSet<Row> rows, String column) {
    Map<String, Long> counts = new HashMap<>();
    rows.forEach(row -> counts.put(row.getString("currency"), row.getLong(column)));
    return counts;
  }

  private static Object integer(Object sum) {
    return sum instanceof BigDecimal decimal ? decimal.toBigIntegerExact() : sum;
  }

  private static JsonObject firstOrNull(RowSet<Row> rows) {
    return rows.size() == 0 ? null : toJson(rows.iterator().next());
  }

  /** The account as stored: its customer fields sealed ({@code fincloud.privacy.CustomerFields}). */
  static JsonObject toJson(Row row) {
    long posted = row.getLong("posted");
    long pending = row.getLong("pending");
    Object metadata = row.getValue("metadata");
    JsonObject account = new JsonObject()
        .put("id", row.getString("id"))
        .put("tenant", row.getString("tenant"))
        .put("currency", row.getString("currency"))
        .put("status", row.getString("status"))
        .put("overdraftLimit", row.getLong("overdraft_limit"))
        .put("allowNegative", row.getBoolean("allow_negative"))
        .put("ownerRef", row.getString("owner_ref"))
        .put("metadata", metadata instanceof JsonObject json ? json : new JsonObject())
        .put("balance", new JsonObject().put("posted", posted).put("pending", pending)
            .put("available", posted - pending))
        .put("createdAt", Timestamps.format(row.getOffsetDateTime("created_at")));
    if (row.getOffsetDateTime("erased_at") != null) {
      account.put("erased", true);
    }
    return account;
  }
}
