package fincloud.audit;

import fincloud.shared.CanonicalJson;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * What the database's owner can do to the chain with the public canonical form: change a record
 * and recompute every later hash, delete checkpoint rows. Blocking: call from the test thread.
 */
final class OwnerRewrite {
  private OwnerRewrite() {
  }

  /** Sets record {@code from}'s data to {@code {"amount":1}} and recomputes its hash and every later one. */
  static void rewriteFrom(Pool sql, String tenant, long from) {
    List<ChainRecord> records = new ArrayList<>();
    sql.preparedQuery("SELECT " + ChainRecord.COLUMNS + " FROM audit_log WHERE tenant = $1 ORDER BY seq")
        .execute(Tuple.of(tenant)).await().forEach(row -> records.add(ChainRecord.fromRow(row)));
    String prev = from == 1 ? ChainRecord.ZERO_HASH : records.get((int) from - 2).hash();
    List<String> statements = new ArrayList<>();
    for (ChainRecord r : records.subList((int) from - 1, records.size())) {
      Object data = r.seq() == from ? new JsonObject().put("amount", 1) : r.data();
      ChainRecord rewritten = new ChainRecord(r.seq(), r.at(), r.tenant(), r.actor(), r.action(), r.entityType(),
          r.entityId(), r.success(), r.origin(), data, r.requestId(), prev, null);
      String hash = rewritten.computeHash();
      statements.add("UPDATE audit_log SET data = '" + CanonicalJson.of(data).replace("'", "''") + "', prev_hash = '"
          + prev + "', hash = '" + hash + "' WHERE tenant = '" + tenant + "' AND seq = " + r.seq());
      prev = hash;
    }
    asOwner(sql, statements.toArray(String[]::new));
  }

  /** Runs statements with the append-only triggers off, as the tables' owner (or a superuser) can. */
  static void asOwner(Pool sql, String... statements) {
    sql.withConnection(connection -> {
      Future<RowSet<Row>> chain = connection.query("SET session_replication_role = replica").execute();
      for (String statement : statements) {
        chain = chain.compose(done -> connection.query(statement).execute());
      }
      return chain.compose(done -> connection.query("SET session_replication_role = origin").execute());
    }).await();
  }
}
