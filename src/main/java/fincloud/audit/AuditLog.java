package fincloud.audit;

import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import fincloud.shared.Timestamps;
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
import java.util.function.LongConsumer;

/** Reads of the sealed chains: pages, ranges, and verification over one consistent snapshot. */
final class AuditLog {
  private static final int CHECKPOINT_PAGE = 500;

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
      "SELECT seq, jws FROM audit_checkpoints WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3";
  private static final String CHECKPOINT_PAGE_OF =
      "SELECT seq, hash, at, kid, jws FROM audit_checkpoints WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3";
  private static final String STORED_AT = "SELECT seq, jws FROM audit_checkpoints WHERE tenant = $1 AND seq = ANY($2)";
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

  /** Signed checkpoints after seq {@code after}, oldest first (docs/contract.md, Paging). */
  Future<JsonObject> checkpoints(String tenant, long after, int limit) {
    return pool.preparedQuery(CHECKPOINT_PAGE_OF).execute(Tuple.of(tenant, after, limit + 1)).map(found -> {
      JsonArray items = new JsonArray();
      for (Row row : found) {
        if (items.size() == limit) {
          return new JsonObject().put("items", items).put("nextAfter", items.getJsonObject(limit - 1).getLong("seq"));
        }
        items.add(new JsonObject().put("seq", row.getLong("seq")).put("hash", row.getString("hash"))
            .put("at", Timestamps.format(row.getOffsetDateTime("at"))).put("kid", row.getString("kid"))
            .put("jws", row.getString("jws")));
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
   * Recomputes the tenant's chain and checks it against every checkpoint, all in one snapshot.
   *
   * @param witnesses checkpoints kept outside the database (this node's newest for the chain, those
   *     the caller supplies), each signed by a trusted key: checked after the stored ones, so that
   *     deleting checkpoint rows does not hide a rewritten or removed tail
   */
  Future<JsonObject> verify(String tenant, CheckpointKeys keys, List<String> witnesses) {
    return verify(tenant, keys, witnesses, null, checked -> { });
  }

  /**
   * @param from recompute only the records after this one (null: the whole chain)
   * @param progress told the number of records recomputed after every page
   */
  Future<JsonObject> verify(String tenant, CheckpointKeys keys, List<String> witnesses, ChainVerifier.Anchor from,
      LongConsumer progress) {
    ChainVerifier verifier = new ChainVerifier(tenant, from);
    return pool.withConnection(connection -> connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute()
        .compose(begun -> new ChainWalk(vertx, connection, PAGE, tenant, verifier, progress)
            .from(from == null ? 0 : from.seq()))
        .compose(walked -> checkpoints(connection, tenant, keys, verifier, 0))
        .compose(done -> witnesses(connection, tenant, keys, verifier, witnesses))
        .map(done -> verifier.verdict())
        .eventually(() -> connection.query("ROLLBACK").execute()));
  }

  /** Head of a chain, 0 when empty. */
  Future<Long> headSeq(String tenant) {
    return pool.preparedQuery(HEAD).execute(Tuple.of(tenant))
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong("seq"));
  }

  /** The stored hash at a seq, taken as it is: where a verification without an anchor starts. */
  Future<ChainVerifier.Anchor> storedAt(String tenant, long seq) {
    return pool.preparedQuery(HASHES).execute(Tuple.tuple().addString(tenant).addArrayOfLong(new Long[] {seq}))
        .map(rows -> rows.size() == 0 ? null : new ChainVerifier.Anchor(seq, rows.iterator().next().getString("hash")));
  }

  private record Stored(long seq, String jws) {
  }

  /** Oldest first, a page at a time, until one contradicts the chain or none is left. */
  private Future<Void> checkpoints(SqlConnection connection, String tenant, CheckpointKeys keys,
      ChainVerifier verifier, long after) {
    if (!verifier.wantsCheckpoints()) {
      return Future.succeededFuture();
    }
    return connection.preparedQuery(CHECKPOINTS).execute(Tuple.of(tenant, after, CHECKPOINT_PAGE)).compose(rows -> {
      List<Stored> page = new ArrayList<>();
      rows.forEach(row -> page.add(new Stored(row.getLong("seq"), row.getString("jws"))));
      if (page.isEmpty()) {
        return Future.succeededFuture();
      }
      return signed(connection, tenant, keys, page).compose(judged -> {
        for (int i = 0; i < page.size(); i++) {
          Judged one = judged.get(i);
          verifier.checkpoint(page.get(i).seq(), one.payload(), one.chainHash(), page.get(i).jws());
        }
        return page.size() < CHECKPOINT_PAGE ? Future.succeededFuture()
            : checkpoints(connection, tenant, keys, verifier, page.get(page.size() - 1).seq());
      });
    });
  }

  private Future<Void> witnesses(SqlConnection connection, String tenant, CheckpointKeys keys,
      ChainVerifier verifier, List<String> witnesses) {
    if (witnesses.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Stored> given = witnesses.stream().map(jws -> new Stored(0, jws)).toList();
    return signed(connection, tenant, keys, given).compose(judged -> {
      Long[] seqs = judged.stream().filter(j -> j.payload() != null).map(j -> j.payload().getLong("seq"))
          .toArray(Long[]::new);
      return connection.preparedQuery(STORED_AT).execute(Tuple.tuple().addString(tenant).addArrayOfLong(seqs))
          .map(rows -> {
            Map<Long, String> stored = new HashMap<>();
            rows.forEach(row -> stored.put(row.getLong("seq"), row.getString("jws")));
            for (int i = 0; i < given.size(); i++) {
              Judged one = judged.get(i);
              if (one.payload() == null) {
                throw new ServiceException(ErrorCode.VALIDATION_FAILED, "checkpoint " + i
                    + " is not a checkpoint a trusted key signed", new JsonObject().put("field", "checkpoints"));
              }
              verifier.witness(one.payload(), one.chainHash(), stored.get(one.payload().getLong("seq")),
                  given.get(i).jws());
            }
            return null;
          });
    });
  }

  /** A checkpoint's signed payload (null: no trusted key signed it) and the chain's hash at its seq. */
  private record Judged(JsonObject payload, String chainHash) {
  }

  private Future<List<Judged>> signed(SqlConnection connection, String tenant, CheckpointKeys keys,
      List<Stored> stored) {
    return vertx.executeBlocking(() -> stored.stream().map(s -> keys.verify(s.jws())).toList(), false)
        .compose(payloads -> {
          Long[] seqs = payloads.stream().filter(AuditLog::hasSeq).map(p -> p.getLong("seq")).toArray(Long[]::new);
          Tuple wanted = Tuple.tuple().addString(tenant).addArrayOfLong(seqs);
          return connection.preparedQuery(HASHES).execute(wanted).map(rows -> {
            Map<Long, String> hashes = new HashMap<>();
            rows.forEach(row -> hashes.put(row.getLong("seq"), row.getString("hash")));
            List<Judged> judged = new ArrayList<>();
            for (JsonObject payload : payloads) {
              judged.add(new Judged(hasSeq(payload) ? payload : null,
                  hasSeq(payload) ? hashes.get(payload.getLong("seq")) : null));
            }
            return judged;
          });
        });
  }

  private static boolean hasSeq(JsonObject payload) {
    return payload != null && payload.getValue("seq") instanceof Number;
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
