package fincloud.idempotency;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * The kept answers that still hold a customer field in clear (kept by a version before
 * encryption), read and replaced for the backfill that seals them. The predicate is the one of the
 * partial index {@code idempotency_records_plain} (V12), the same expressions.
 */
public final class PlainAnswers {
  private static final String PLAIN = """
      jsonb_path_exists(response, 'lax $.**{0 to 2} ? ((@.ownerRef.type() == "string" && !(@.ownerRef like_regex "^fc1:[^:]*:"))
          || (@.reference.type() == "string" && !(@.reference like_regex "^fc1:[^:]*:"))
          || (@.metadata.type() == "object" && !(@.metadata.encrypted like_regex "^fc1:[^:]*:")))')""";
  /** Oldest first; rows a request or another node holds are skipped, never waited for. */
  private static final String FIND = "SELECT tenant, key, response FROM idempotency_records WHERE " + PLAIN
      + " ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED";
  private static final String REPLACE = """
      UPDATE idempotency_records r SET response = x.response
      FROM jsonb_to_recordset($1::jsonb) AS x(tenant text, key text, response jsonb)
      WHERE r.tenant = x.tenant AND r.key = x.key""";

  private PlainAnswers() {
  }

  /** A kept answer, by its key. */
  public record Kept(String tenant, String key, JsonObject response) {
  }

  /** At most {@code limit} answers with a field in clear, locked for the caller's transaction. */
  public static Future<List<Kept>> lockSome(SqlClient transaction, int limit) {
    return transaction.preparedQuery(FIND).execute(Tuple.of(limit)).map(rows -> {
      List<Kept> kept = new ArrayList<>();
      for (Row row : rows) {
        Object response = row.getValue("response");
        kept.add(new Kept(row.getString("tenant"), row.getString("key"),
            response instanceof JsonObject json ? json : new JsonObject(String.valueOf(response))));
      }
      return kept;
    });
  }

  /** Stores the answers (same keys, same statuses) in their new form. */
  public static Future<Void> replace(SqlClient transaction, List<Kept> answers) {
    if (answers.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonArray rows = new JsonArray();
    answers.forEach(a -> rows.add(new JsonObject().put("tenant", a.tenant()).put("key", a.key())
        .put("response", a.response())));
    return transaction.preparedQuery(REPLACE).execute(Tuple.of(rows)).mapEmpty();
  }
}
