package fincloud.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads of the sealed chains: pages, ranges, and verification over one consistent snapshot. */
final class AuditLog {
  private static final int VERIFY_PAGE = 5000;
  private static final int CHECKPOINT_PAGE = 50;

  private static final String PAGE = "SELECT " + ChainRecord.COLUMNS
      + " FROM audit_log WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3";
  private static final String PAGE_OF_ENTITY = "SELECT " + ChainRecord.COLUMNS
      + " FROM audit_log WHERE tenant = $1 AND entity_id = $2 AND seq > $3 ORDER BY seq LIMIT $4";
  private static final String RANGE = "SELECT " + ChainRecord.COLUMNS + """
       FROM audit_log WHERE tenant = $1 AND seq >= $2 AND seq <= $3
        AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
      ORDER BY seq LIMIT $6""";
  private static final String HEAD = "SELECT seq FROM audit_log WHERE tenant = $1 ORDER BY seq DESC LIMIT 1";
  private static final String CHECKPOINTS =
      "SELECT seq, jws FROM audit_checkpoints WHERE tenant = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3";
  private static final String HASHES = "SELECT seq, hash FROM audit_log WHERE tenant = $1 AND seq = ANY($2)";

  private static final String KEY_USE = "SELECT kid, count(*) AS checkpoints, min(at) AS first_at,"
      + " max(at) AS last_at FROM audit_checkpoints WHERE tenant = $1 GROUP BY kid ORDER BY min(at)";

  private final Vertx vertx;
  private final Pool pool;

  AuditLog(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /**
   * How each key signed the tenant's checkpoints: kid to {@code {"checkpoints","firstCheckpointAt",
   * "lastCheckpointAt"}}, the validity the published keys are listed with.
   */
  Future<java.util.Map<String, JsonObject>> keyUse(String tenant) {
    return pool.preparedQuery(KEY_USE).execute(Tuple.of(tenant)).map(rows -> {
      java.util.Map<String, JsonObject> use = new java.util.LinkedHashMap<>();
      rows.forEach(row -> use.put(row.getString("kid"), new JsonObject().put("checkpoints", row.getLong("checkpoints"))
          .put("firstCheckpointAt", fincloud.shared.Timestamps.format(row.getOffsetDateTime("first_at")))
          .put("lastCheckpointAt", fincloud.shared.Timestamps.format(row.getOffsetDateTime("last_at")))));
      return use;
    });
  }

  /** Records after {@code after} in seq order: {@code {"items","nextAfter"}} (docs/contract.md, Paging). */
  Future<JsonObject> page(String tenant, long after, int limit, String entityId) {
    Future<RowSet<Row>> rows = entityId == null
        ? pool.preparedQuery(PAGE).execute(Tuple.of(tenant, after, limit + 1))
        : pool.preparedQuery(PAGE_OF_ENTITY).execute(Tuple.of(tenant, entityId, after, limit + 1));
    return rows.map(found -> {
      JsonArray items = new JsonArray();
      long last = after;
      for (Row row : found) {
        if (items.size() == limit) {
          return new JsonObject().put("items", items).put("nextAfter", last);
        }
        ChainRecord record = ChainRecord.fromRow(row);
        items.add(record.toJson());
        last = record.seq();
      }
      return new JsonObject().put("items", items).putNull("nextAfter");
    });
  }

  /**
   * Records with {@code from <= seq <= to} (to: the head when null), optionally only those with
   * {@code since <= at < until}: {@code {"tenant","items","next","to","head"}}, {@code next} being
   * the seq to continue from, null when the range is done.
   */
  Future<JsonObject> range(String tenant, long from, Long to, Instant since, Instant until, int limit) {
    return pool.preparedQuery(HEAD).execute(Tuple.of(tenant)).compose(head -> {
      long headSeq = head.size() == 0 ? 0 : head.iterator().next().getLong("seq");
      long last = to == null ? headSeq : to;
      JsonObject answer = new JsonObject().put("tenant", tenant).put("to", last).put("head", headSeq);
      if (limit == 0 || from > last) {
        return Future.succeededFuture(answer.put("items", new JsonArray()).put("next", from > last ? null : from));
      }
      return pool.preparedQuery(RANGE).execute(Tuple.of(tenant, from, last, utc(since), utc(until), limit + 1))
          .map(rows -> {
            JsonArray items = new JsonArray();
            Long next = null;
            for (Row row : rows) {
              if (items.size() == limit) {
                next = items.getJsonObject(limit - 1).getLong("seq") + 1;
                break;
              }
              items.add(ChainRecord.fromRow(row).toJson());
            }
            return answer.put("items", items).put("next", next);
          });
    });
  }

  /**
   * Recomputes the tenant's chain and checks it against its checkpoints, all in one snapshot.
   *
   * @param witness the newest checkpoint this node signed for the chain (null if none): checked
   *     first, so that deleting checkpoint rows does not hide a rewritten tail from this node
   */
  Future<JsonObject> verify(String tenant, CheckpointKeys keys, String witness) {
    ChainVerifier verifier = new ChainVerifier(tenant);
    return pool.withConnection(connection -> connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute()
        .compose(begun -> walk(connection, tenant, verifier, 0))
        .compose(walked -> witness == null ? Future.succeededFuture()
            : judge(connection, tenant, keys, verifier, List.of(new Stored(Long.MAX_VALUE, witness))))
        .compose(done -> checkpoints(connection, tenant, keys, verifier, Long.MAX_VALUE))
        .map(done -> verifier.verdict())
        .eventually(() -> connection.query("ROLLBACK").execute()));
  }

  private Future<Void> walk(SqlConnection connection, String tenant, ChainVerifier verifier, long after) {
    return connection.preparedQuery(PAGE).execute(Tuple.of(tenant, after, VERIFY_PAGE))
        // hashing thousands of records is CPU work: not on the event loop
        .compose(rows -> vertx.executeBlocking(() -> {
          rows.forEach(row -> verifier.accept(ChainRecord.fromRow(row)));
          return rows.size();
        }, true))
        .compose(read -> read < VERIFY_PAGE ? Future.succeededFuture()
            : walk(connection, tenant, verifier, verifier.headSeq()));
  }

  private record Stored(long seq, String jws) {
  }

  /** Newest first, a page at a time, until one vouches for the chain or none is left. */
  private Future<Void> checkpoints(SqlConnection connection, String tenant, CheckpointKeys keys,
      ChainVerifier verifier, long before) {
    if (!verifier.wantsCheckpoints()) {
      return Future.succeededFuture();
    }
    return connection.preparedQuery(CHECKPOINTS).execute(Tuple.of(tenant, before, CHECKPOINT_PAGE)).compose(rows -> {
      List<Stored> page = new ArrayList<>();
      rows.forEach(row -> page.add(new Stored(row.getLong("seq"), row.getString("jws"))));
      if (page.isEmpty()) {
        return Future.succeededFuture();
      }
      return judge(connection, tenant, keys, verifier, page).compose(judged -> page.size() < CHECKPOINT_PAGE
          ? Future.succeededFuture()
          : checkpoints(connection, tenant, keys, verifier, page.get(page.size() - 1).seq()));
    });
  }

  private Future<Void> judge(SqlConnection connection, String tenant, CheckpointKeys keys, ChainVerifier verifier,
      List<Stored> stored) {
    return vertx.executeBlocking(() -> stored.stream().map(s -> keys.verify(s.jws())).toList(), false)
        .compose(payloads -> {
          Long[] seqs = payloads.stream().filter(p -> p != null && p.getValue("seq") instanceof Number)
              .map(p -> p.getLong("seq")).toArray(Long[]::new);
          Tuple wanted = Tuple.tuple().addString(tenant).addArrayOfLong(seqs);
          return connection.preparedQuery(HASHES).execute(wanted).map(rows -> {
            Map<Long, String> hashes = new HashMap<>();
            rows.forEach(row -> hashes.put(row.getLong("seq"), row.getString("hash")));
            for (int i = 0; i < stored.size(); i++) {
              JsonObject payload = payloads.get(i);
              String chainHash = payload == null || !(payload.getValue("seq") instanceof Number) ? null
                  : hashes.get(payload.getLong("seq"));
              verifier.checkpoint(stored.get(i).seq(), payload, chainHash, stored.get(i).jws());
            }
            return null;
          });
        });
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
