package fincloud.outbox;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/** Writes audit events into the outbox, inside the caller's transaction (pass its connection). */
public final class AuditOutbox {
  private static final String INSERT = """
      INSERT INTO audit_outbox (tenant, actor, action, entity_type, entity_id, success, origin, request_id, data)
      SELECT tenant, actor, action, entity_type, entity_id, success, origin, request_id, data
      FROM jsonb_to_recordset($1::jsonb) AS x(tenant text, actor text, action text, entity_type text,
        entity_id text, success boolean, origin text, request_id text, data jsonb)""";

  private AuditOutbox() {
  }

  public static Future<Void> write(SqlClient transaction, List<AuditEvent> events) {
    if (events.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonArray rows = new JsonArray();
    events.forEach(e -> rows.add(e.toRow()));
    return transaction.preparedQuery(INSERT).execute(Tuple.of(rows)).mapEmpty();
  }
}
