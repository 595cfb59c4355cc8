package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.shared.CanonicalJson;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A chain longer than two pages of the verifier's walk (which reads a page ahead while it hashes
 * one): every record is recomputed once, in order, and damage on any page, on a page's first
 * record or at the chain's last one, is reported at its seq.
 */
@ExtendWith(VertxExtension.class)
class ChainWalkTest {
  private static final String TENANT = "walk";
  private static final int RECORDS = 2 * ChainWalk.PAGE + 7;
  private static final String INSERT = """
      INSERT INTO audit_log (tenant, seq, at, actor, action, entity_type, entity_id, success, origin, request_id,
        data, prev_hash, hash, outbox_id)
      SELECT $1, s, a::timestamptz, 'walk-teller', 'TRANSFER_POSTED', 'transfer', e, true, '127.0.0.1', 'req-' || s,
        d::jsonb, p, h, s
      FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(s, a, e, d, p, h)""";

  private ChainFixture db;

  @BeforeEach
  void chain(Vertx vertx) {
    db = new ChainFixture(vertx);
    List<Long> seqs = new ArrayList<>();
    List<String> ats = new ArrayList<>();
    List<String> entities = new ArrayList<>();
    List<String> data = new ArrayList<>();
    List<String> prevs = new ArrayList<>();
    List<String> hashes = new ArrayList<>();
    String prev = ChainRecord.ZERO_HASH;
    for (long seq = 1; seq <= RECORDS; seq++) {
      String at = String.format("2026-12-05T10:%02d:%02d.%06dZ", seq / 3600 % 60, seq / 60 % 60, seq % 1_000_000);
      JsonObject fields = new JsonObject().put("transferId", "trf_" + seq).put("amount", seq * 100)
          .put("reference", "caf\u00e9 \"" + seq + "\"");
      ChainRecord record = new ChainRecord(seq, at, TENANT, "walk-teller", "TRANSFER_POSTED", "transfer", "trf_" + seq,
          true, "127.0.0.1", fields, "req-" + seq, prev, null);
      prev = record.computeHash();
      seqs.add(seq);
      ats.add(at);
      entities.add("trf_" + seq);
      data.add(CanonicalJson.of(fields));
      prevs.add(record.prevHash());
      hashes.add(prev);
    }
    db.pool.preparedQuery(INSERT).execute(Tuple.tuple().addString(TENANT).addArrayOfLong(seqs.toArray(Long[]::new))
        .addArrayOfString(ats.toArray(String[]::new)).addArrayOfString(entities.toArray(String[]::new))
        .addArrayOfString(data.toArray(String[]::new)).addArrayOfString(prevs.toArray(String[]::new))
        .addArrayOfString(hashes.toArray(String[]::new))).await();
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void everyRecordOfEveryPageIsRecomputedOnce() {
    JsonObject verdict = db.verify(TENANT, null);
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
    assertThat(verdict.getLong("checked")).isEqualTo(RECORDS);
    assertThat(verdict.getLong("headSeq")).isEqualTo(RECORDS);
    assertThat(verdict.getString("headHash")).isEqualTo(db.records(TENANT).get(RECORDS - 1).hash());
  }

  @Test
  void aChangedRecordOnTheSecondPageIsReported() {
    db.tamper(amount(ChainWalk.PAGE + 1234));
    assertInvalidAt(db.verify(TENANT, null), ChainWalk.PAGE + 1234);
  }

  @Test
  void aChangedFirstRecordOfTheLastPageIsReported() {
    db.tamper(amount(2 * ChainWalk.PAGE + 1));
    assertInvalidAt(db.verify(TENANT, null), 2 * ChainWalk.PAGE + 1);
  }

  @Test
  void aRecordDeletedAtAPageBoundaryIsReported() {
    db.tamper("DELETE FROM audit_log WHERE tenant = '" + TENANT + "' AND seq = " + (ChainWalk.PAGE + 1));
    assertInvalidAt(db.verify(TENANT, null), ChainWalk.PAGE + 1);
  }

  @Test
  void aChangedLastRecordIsReported() {
    db.tamper(amount(RECORDS));
    assertInvalidAt(db.verify(TENANT, null), RECORDS);
  }

  private static String amount(long seq) {
    return "UPDATE audit_log SET data = jsonb_set(data, '{amount}', '1') WHERE tenant = '" + TENANT + "' AND seq = "
        + seq;
  }

  private static void assertInvalidAt(JsonObject verdict, long seq) {
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).as(verdict.encode()).isEqualTo(seq);
    assertThat(verdict.getLong("checked")).as(verdict.encode()).isGreaterThanOrEqualTo(RECORDS - 1);
  }
}
