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
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/audit/events/{seq}/proof}: one record, the checkpoint whose window holds it, and
 * the audit path from the record to the window's Merkle root that the checkpoint signs, read in one
 * snapshot. Whoever holds the published keys checks it alone ({@link ProofCheck}, the offline
 * verifier's {@code --proof}). A proof that would not hold is never served: when the window's
 * records no longer give the signed root, the answer is a refusal that points at verification.
 */
final class InclusionProofs {
  private static final String RECORD = "SELECT " + ChainRecord.COLUMNS + " FROM audit_log WHERE tenant = $1 AND seq = $2";
  private static final String COVERING = "SELECT seq, hash, at, kid, jws FROM audit_checkpoints"
      + " WHERE tenant = $1 AND seq >= $2 ORDER BY seq LIMIT 1";
  private static final String WINDOW = "SELECT hash FROM audit_log WHERE tenant = $1 AND seq > $2 AND seq <= $3"
      + " ORDER BY seq";

  private final Vertx vertx;
  private final Pool pool;
  private final CheckpointKeys keys;

  InclusionProofs(Vertx vertx, Pool pool, CheckpointKeys keys) {
    this.vertx = vertx;
    this.pool = pool;
    this.keys = keys;
  }

  /**
   * {@code {"record","checkpoint","leafIndex","treeSize","leafHash","auditPath"}}; 404 for a seq the
   * chain does not have, 409 while no checkpoint covers it yet or when its checkpoint has no Merkle
   * root (signed before checkpoints carried one) or no longer matches the records.
   */
  Future<JsonObject> proof(String tenant, long seq) {
    return pool.withConnection(connection -> connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute()
        .compose(begun -> connection.preparedQuery(RECORD).execute(Tuple.of(tenant, seq)))
        .compose(record -> record.size() == 0
            ? Future.failedFuture(new ServiceException(ErrorCode.NOT_FOUND, "no audit record " + seq + " in this chain"))
            : covering(connection, tenant, seq).compose(checkpoint -> window(connection, tenant, checkpoint)
                .compose(hashes -> vertx.executeBlocking(() ->
                    answer(ChainRecord.fromRow(record.iterator().next()), checkpoint, hashes), false))))
        .eventually(() -> connection.query("ROLLBACK").execute()));
  }

  /** The newest signed state a proof rests on: the checkpoint's row and its signed payload. */
  private record Covering(Row row, JsonObject payload) {
    long prevSeq() {
      return payload.getLong("prevSeq");
    }
  }

  private Future<Covering> covering(SqlConnection connection, String tenant, long seq) {
    return connection.preparedQuery(COVERING).execute(Tuple.of(tenant, seq)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(unprovable("record " + seq
            + " is not in a checkpoint yet: retry after the next one (audit.checkpointSeconds)"));
      }
      Row row = rows.iterator().next();
      return vertx.executeBlocking(() -> keys.verify(row.getString("jws")), false).compose(payload -> {
        if (payload == null || !tenant.equals(payload.getString("tenant")) || payload.getLong("seq", -1L).longValue() != row.getLong("seq").longValue()) {
          return Future.failedFuture(unprovable("the checkpoint at seq " + row.getLong("seq")
              + " is not signed by a trusted key for this chain: see GET /v1/audit/verify"));
        }
        if (!(payload.getValue("merkleRoot") instanceof String) || !(payload.getValue("prevSeq") instanceof Number)) {
          return Future.failedFuture(unprovable("the checkpoint at seq " + row.getLong("seq")
              + " was signed before checkpoints carried a Merkle root: no inclusion proof for its records"));
        }
        return Future.succeededFuture(new Covering(row, payload));
      });
    });
  }

  private static Future<List<String>> window(SqlConnection connection, String tenant, Covering checkpoint) {
    return connection.preparedQuery(WINDOW).execute(Tuple.of(tenant, checkpoint.prevSeq(), checkpoint.row().getLong("seq")))
        .map(InclusionProofs::hashes);
  }

  private static List<String> hashes(RowSet<Row> rows) {
    List<String> hashes = new ArrayList<>(rows.size());
    rows.forEach(row -> hashes.add(row.getString("hash")));
    return hashes;
  }

  private static JsonObject answer(ChainRecord record, Covering checkpoint, List<String> hashes) {
    long size = checkpoint.row().getLong("seq") - checkpoint.prevSeq();
    if (hashes.size() != size) {
      throw unprovable("the window of the checkpoint at seq " + checkpoint.row().getLong("seq")
          + " is missing records: see GET /v1/audit/verify");
    }
    if (record.seq() <= checkpoint.prevSeq()) {
      throw unprovable("the checkpoint at seq " + checkpoint.row().getLong("seq") + " does not follow the one before"
          + " record " + record.seq() + ": see GET /v1/audit/verify");
    }
    MerkleWindow tree = new MerkleWindow(hashes);
    if (!tree.root().equals(checkpoint.payload().getString("merkleRoot"))) {
      throw unprovable("the records of the window of the checkpoint at seq " + checkpoint.row().getLong("seq")
          + " no longer give its Merkle root: see GET /v1/audit/verify");
    }
    int index = (int) (record.seq() - checkpoint.prevSeq() - 1);
    Row row = checkpoint.row();
    return new JsonObject()
        .put("record", record.toJson())
        .put("checkpoint", new JsonObject().put("seq", row.getLong("seq")).put("hash", row.getString("hash"))
            .put("at", Timestamps.format(row.getOffsetDateTime("at"))).put("kid", row.getString("kid"))
            .put("prevSeq", checkpoint.prevSeq()).put("merkleRoot", checkpoint.payload().getString("merkleRoot"))
            .put("jws", row.getString("jws")))
        .put("leafIndex", index)
        .put("treeSize", size)
        .put("leafHash", MerkleWindow.leafHash(record.hash()))
        .put("auditPath", new JsonArray(new ArrayList<Object>(tree.path(index))));
  }

  private static ServiceException unprovable(String detail) {
    return new ServiceException(ErrorCode.INVALID_STATE, detail);
  }
}
