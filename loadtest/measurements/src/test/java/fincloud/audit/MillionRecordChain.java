package fincloud.audit;

import fincloud.shared.CanonicalJson;
import fincloud.shared.Timestamps;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a valid chain straight into {@code audit_log} and {@code audit_checkpoints}, not through
 * HTTP or the sealer: records shaped like posted transfers, hashed with the chain's rule, and a
 * checkpoint every {@code checkpointEvery} records signed as the sealer signs them (chained, with
 * its window's Merkle root). Appending again continues the same chain. Blocking: call from the
 * test thread.
 */
final class MillionRecordChain {
  private static final int INSERT_BATCH = 5_000;
  private static final String INSERT = """
      INSERT INTO audit_log (tenant, seq, at, actor, action, entity_type, entity_id, success, origin, request_id,
        data, prev_hash, hash, outbox_id)
      SELECT $1, s, a::timestamptz, 'acme-teller', 'TRANSFER_POSTED', 'transfer', e, true, '10.0.0.7', r, d::jsonb,
        p, h, s
      FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
        AS u(s, a, e, r, d, p, h)""";
  private static final String CHECKPOINT = "INSERT INTO audit_checkpoints (tenant, seq, hash, at, kid, jws)"
      + " VALUES ($1, $2, $3, $4::text::timestamptz, $5, $6)";

  private final Pool pool;
  private final CheckpointKeys keys;
  private final String tenant;
  private final int checkpointEvery;
  private final Instant start = Instant.parse("2026-12-01T00:00:00Z");
  private long head;
  private String headHash = ChainRecord.ZERO_HASH;
  private long checkpointSeq;
  private String checkpointJws;
  private final List<String> window = new ArrayList<>();

  MillionRecordChain(Pool pool, CheckpointKeys keys, String tenant, int checkpointEvery) {
    this.pool = pool;
    this.keys = keys;
    this.tenant = tenant;
    this.checkpointEvery = checkpointEvery;
  }

  long head() {
    return head;
  }

  /** Appends {@code count} records, and a checkpoint after every {@code checkpointEvery}. */
  void append(long count) {
    long end = head + count;
    while (head < end) {
      int n = (int) Math.min(INSERT_BATCH, end - head);
      Long[] seqs = new Long[n];
      String[] ats = new String[n];
      String[] entities = new String[n];
      String[] requests = new String[n];
      String[] data = new String[n];
      String[] prevs = new String[n];
      String[] hashes = new String[n];
      List<Tuple> checkpoints = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ChainRecord record = next();
        seqs[i] = record.seq();
        ats[i] = record.at();
        entities[i] = record.entityId();
        requests[i] = record.requestId();
        data[i] = CanonicalJson.of(record.data());
        prevs[i] = record.prevHash();
        hashes[i] = record.hash();
        window.add(record.hash());
        if (record.seq() % checkpointEvery == 0) {
          checkpoints.add(checkpoint(record));
        }
      }
      pool.withTransaction(tx -> tx.preparedQuery(INSERT).execute(Tuple.tuple().addString(tenant)
              .addArrayOfLong(seqs).addArrayOfString(ats).addArrayOfString(entities).addArrayOfString(requests)
              .addArrayOfString(data).addArrayOfString(prevs).addArrayOfString(hashes))
          .compose(done -> checkpoints.isEmpty() ? io.vertx.core.Future.succeededFuture()
              : tx.preparedQuery(CHECKPOINT).executeBatch(checkpoints))).await();
    }
  }

  private ChainRecord next() {
    long seq = ++head;
    String at = Timestamps.format(start.plus(seq * 1_000 + seq % 997, ChronoUnit.MICROS));
    JsonObject data = new JsonObject().put("transferId", "trf_" + seq).put("debitAccountId", "acc_d" + (seq % 5000))
        .put("creditAccountId", "acc_c" + (seq % 7919)).put("amount", 100 + seq % 100_000).put("currency", "USD")
        .put("mode", "IMMEDIATE").put("reference", "invoice " + seq);
    ChainRecord unsealed = new ChainRecord(seq, at, tenant, "acme-teller", "TRANSFER_POSTED", "transfer", "trf_" + seq,
        true, "10.0.0.7", data, "req-" + Long.toHexString(seq * 2_654_435_761L), headHash, null);
    ChainRecord record = new ChainRecord(seq, at, tenant, "acme-teller", "TRANSFER_POSTED", "transfer", "trf_" + seq,
        true, "10.0.0.7", data, unsealed.requestId(), headHash, unsealed.computeHash());
    headHash = record.hash();
    return record;
  }

  /** What the sealer signs at this head: chained to the previous checkpoint, with the window's root. */
  private Tuple checkpoint(ChainRecord head) {
    String at = head.at();
    JsonObject payload = new JsonObject().put("tenant", tenant).put("seq", head.seq()).put("hash", head.hash())
        .put("at", at).put("prevSeq", checkpointSeq).put("prevCheckpoint", SealPlan.checkpointHash(checkpointJws))
        .put("merkleRoot", new MerkleWindow(window).root());
    String jws = keys.sign(payload);
    checkpointSeq = head.seq();
    checkpointJws = jws;
    window.clear();
    return Tuple.of(tenant, head.seq(), head.hash(), at, keys.kid(), jws);
  }
}
