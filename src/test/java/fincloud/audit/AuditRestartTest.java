package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Whole nodes on one database: what services commit while no audit service runs is sealed, without
 * gap or duplicate, by the audit service of the next node; and tampering shows in
 * {@code GET /v1/audit/verify}.
 */
@ExtendWith(VertxExtension.class)
class AuditRestartTest {
  static final JsonObject AUDIT = new JsonObject().put("signingKey", CheckpointKeys.generate().toJSONString())
      .put("checkpointEvery", 4);

  @Test
  void recordsCommittedWhileTheAuditServiceIsDownAreSealedByTheNextOne(Vertx vertx) {
    String pgUrl = TestDatabase.freshDatabase();
    Pool sql = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(pgUrl)).using(vertx).build();

    TestNode withoutAudit = TestNode.start(vertx, new JsonObject().put("audit", AUDIT)
        .put("FINCLOUD_ROLES", "gateway,accounts,payments,risk"), pgUrl);
    TestClient first = withoutAudit.client();
    for (int i = 0; i < 4; i++) {
      String account = first.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
      first.post("acme-teller", "/v1/accounts/" + account + "/freeze", null);
    }
    assertThat(first.get("acme-auditor", "/v1/audit/events").statusCode()).as("no audit service").isEqualTo(503);
    first.close();
    withoutAudit.stop();
    assertThat(count(sql, "SELECT count(*) FROM audit_outbox")).isEqualTo(8);
    assertThat(count(sql, "SELECT count(*) FROM audit_log")).isZero();

    TestNode whole = TestNode.start(vertx, new JsonObject().put("audit", AUDIT), pgUrl);
    TestClient http = whole.client();
    http.openAccount("acme-teller", new JsonObject().put("currency", "USD"));
    List<JsonObject> chain = Eventually.until("nine records sealed", AuditReads.DEADLINE, () -> AuditReads.all(http, "acme-auditor", ""),
        found -> found.size() >= 9);
    assertThat(chain).extracting(r -> r.getLong("seq")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    assertThat(chain.subList(0, 8)).extracting(r -> r.getString("action")).containsExactly("ACCOUNT_OPENED",
        "ACCOUNT_FROZEN", "ACCOUNT_OPENED", "ACCOUNT_FROZEN", "ACCOUNT_OPENED", "ACCOUNT_FROZEN", "ACCOUNT_OPENED",
        "ACCOUNT_FROZEN");
    assertThat(count(sql, "SELECT count(DISTINCT outbox_id) FROM audit_log")).isEqualTo(9);
    assertThat(count(sql, "SELECT count(*) FROM audit_outbox")).isZero();
    assertThat(http.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject().getBoolean("valid")).isTrue();

    sql.withConnection(c -> c.query("SET session_replication_role = replica").execute()
        .compose(off -> c.query("UPDATE audit_log SET origin = '10.6.6.6' WHERE tenant = 'acme' AND seq = 6").execute())
        .compose(done -> c.query("SET session_replication_role = origin").execute())).await();
    JsonObject verdict = http.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject();
    assertThat(verdict.getBoolean("valid")).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).isEqualTo(6);
    assertThat(verdict.getLong("headSeq")).isEqualTo(9);
    assertThat(verdict.getLong("checked")).isEqualTo(9);

    http.close();
    whole.stop();
    sql.close().await();
  }

  /**
   * The attack of issue 16: as the database's owner, change one record, recompute every later hash
   * and delete the checkpoints from it on, then let the node seal more. The node reports it, keeps
   * serving, and still reports it after a restart on the same data folder; a node without that
   * folder reports it to an auditor who kept a checkpoint.
   */
  @Test
  void aRewriteWithRecomputedHashesIsReportedByTheNodeAfterARestartAndToAnAuditorWhoKeptACheckpoint(Vertx vertx)
      throws Exception {
    String pgUrl = TestDatabase.freshDatabase();
    Pool sql = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(pgUrl)).using(vertx).build();
    JsonObject config = new JsonObject().put("audit", AUDIT.copy().put("checkpointEvery", 1))
        .put("FINCLOUD_DATA_DIR", Files.createTempDirectory("fincloud-audit-witness").toString());
    TestNode node = TestNode.start(vertx, config, pgUrl);
    TestClient http = node.client();
    act(http, 2);
    signedUpTo(http, 4);
    act(http, 2);
    JsonArray kept = signedUpTo(http, 8);

    OwnerRewrite.rewriteFrom(sql, "acme", 5);
    OwnerRewrite.asOwner(sql, "DELETE FROM audit_checkpoints WHERE tenant = 'acme' AND seq > 4");
    act(http, 1);
    Eventually.until("the new records sealed", AuditReads.DEADLINE, () -> AuditReads.all(http, "acme-auditor", ""),
        found -> found.size() >= 10);
    assertRewriteReportedAt5(http.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject());
    assertThat(lastCheckpoint(http)).as("the sealer signs nothing past the rewrite").isEqualTo(4);
    assertThat(http.web().get("/health/ready").send().await().statusCode()).isEqualTo(200);
    http.close();
    node.stop();

    TestNode restarted = TestNode.start(vertx, config, pgUrl);
    TestClient again = restarted.client();
    assertRewriteReportedAt5(again.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject());
    again.close();
    restarted.stop();

    TestNode elsewhere = TestNode.start(vertx, new JsonObject().put("audit", AUDIT), pgUrl);
    TestClient auditor = elsewhere.client();
    assertThat(auditor.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject().getBoolean("valid"))
        .as("without a witness the rewrite looks whole").isTrue();
    JsonObject kept8 = kept.getJsonObject(kept.size() - 1);
    HttpResponse<Buffer> checked = auditor.post("acme-auditor", "/v1/audit/verify",
        new JsonObject().put("checkpoints", new JsonArray().add(kept8.getString("jws"))));
    assertThat(checked.statusCode()).isEqualTo(200);
    assertRewriteReportedAt5(checked.bodyAsJsonObject());
    HttpResponse<Buffer> foreign = auditor.post("acme-auditor", "/v1/audit/verify", new JsonObject().put("checkpoints",
        new JsonArray().add(new CheckpointKeys(CheckpointKeys.generate(), List.of()).sign(new JsonObject()))));
    assertThat(foreign.statusCode()).as(foreign.bodyAsString()).isEqualTo(400);
    auditor.close();
    elsewhere.stop();
    sql.close().await();
  }

  @Test
  void aTailCutOffWithItsCheckpointsIsReportedOnTheNodeAndAfterARestart(Vertx vertx) throws Exception {
    attackAndRestart(vertx, (sql, kept) -> OwnerRewrite.asOwner(sql,
        "DELETE FROM audit_log WHERE tenant = 'acme' AND seq > 6",
        "DELETE FROM audit_checkpoints WHERE tenant = 'acme' AND seq > 4"), "chain ends at 6");
  }

  @Test
  void checkpointsDeletedAloneAreReportedOnTheNodeAndAfterARestart(Vertx vertx) throws Exception {
    attackAndRestart(vertx, (sql, kept) -> OwnerRewrite.asOwner(sql,
        "DELETE FROM audit_checkpoints WHERE tenant = 'acme' AND seq > 4"), "missing from audit_checkpoints");
  }

  @Test
  void aForgedCheckpointChainIsReportedOnTheNodeAndAfterARestart(Vertx vertx) throws Exception {
    attackAndRestart(vertx, (sql, kept) -> {
      OwnerRewrite.rewriteFrom(sql, "acme", 5);
      OwnerRewrite.asOwner(sql, "DELETE FROM audit_checkpoints WHERE tenant = 'acme' AND seq > 4");
      String four = kept.stream().map(JsonObject.class::cast).filter(c -> c.getLong("seq") == 4).findFirst()
          .orElseThrow().getString("jws");
      String hash8 = sql.query("SELECT hash FROM audit_log WHERE tenant = 'acme' AND seq = 8").execute().await()
          .iterator().next().getString(0);
      CheckpointKeys attacker = new CheckpointKeys(CheckpointKeys.generate(), List.of());
      String forged = attacker.sign(new JsonObject().put("tenant", "acme").put("seq", 8L).put("hash", hash8)
          .put("at", "2026-12-04T00:00:00Z").put("prevSeq", 4L).put("prevCheckpoint", SealPlan.checkpointHash(four)));
      OwnerRewrite.asOwner(sql, "INSERT INTO audit_checkpoints (tenant, seq, hash, at, kid, jws) VALUES ('acme', 8, '"
          + hash8 + "', now(), '" + attacker.kid() + "', '" + forged + "')");
    }, "not signed by a trusted key");
  }

  /** What the database's owner does to a chain of eight records, given the checkpoints signed so far. */
  private interface Attack {
    void on(Pool sql, JsonArray kept);
  }

  /**
   * A chain of eight records with checkpoints at 4 and 8 (and maybe others); the attack, which
   * leaves no checkpoint of the node's after 4; then {@code GET /v1/audit/verify} reports it from
   * record 5 on the node, which stays ready, and on a node restarted on the same data folder.
   */
  private static void attackAndRestart(Vertx vertx, Attack attack, String reason) throws Exception {
    String pgUrl = TestDatabase.freshDatabase();
    Pool sql = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(pgUrl)).using(vertx).build();
    JsonObject config = new JsonObject().put("audit", AUDIT.copy().put("checkpointEvery", 1))
        .put("FINCLOUD_DATA_DIR", Files.createTempDirectory("fincloud-audit-witness").toString());
    TestNode node = TestNode.start(vertx, config, pgUrl);
    TestClient http = node.client();
    act(http, 2);
    signedUpTo(http, 4);
    act(http, 2);
    JsonArray kept = signedUpTo(http, 8);
    JsonObject intact = http.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject();
    assertThat(intact.getBoolean("valid")).as(intact.encode()).isTrue();

    attack.on(sql, kept);
    JsonObject verdict = http.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject();
    assertRewriteReportedAt5(verdict);
    assertThat(verdict.getString("reason")).contains(reason);
    assertThat(http.web().get("/health/ready").send().await().statusCode()).isEqualTo(200);
    http.close();
    node.stop();

    TestNode restarted = TestNode.start(vertx, config, pgUrl);
    TestClient again = restarted.client();
    JsonObject afterRestart = again.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject();
    assertRewriteReportedAt5(afterRestart);
    assertThat(afterRestart.getString("reason")).contains(reason);
    again.close();
    restarted.stop();
    sql.close().await();
  }

  /** Opens and freezes {@code count} accounts: two records each. */
  private static void act(TestClient http, int count) {
    for (int i = 0; i < count; i++) {
      String account = http.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
      http.post("acme-teller", "/v1/accounts/" + account + "/freeze", null);
    }
  }

  private static JsonArray signedUpTo(TestClient http, long seq) {
    Eventually.until("a checkpoint at " + seq, AuditReads.DEADLINE, () -> lastCheckpoint(http), last -> last == seq);
    return http.get("acme-auditor", "/v1/audit/checkpoints").bodyAsJsonObject().getJsonArray("items");
  }

  private static long lastCheckpoint(TestClient http) {
    JsonArray items = http.get("acme-auditor", "/v1/audit/checkpoints?limit=100").bodyAsJsonObject()
        .getJsonArray("items");
    return items.isEmpty() ? 0 : items.getJsonObject(items.size() - 1).getLong("seq");
  }

  private static void assertRewriteReportedAt5(JsonObject verdict) {
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isFalse();
    assertThat(verdict.getLong("firstInvalidSeq")).as(verdict.encode()).isEqualTo(5);
  }

  private static long count(Pool sql, String query) {
    return sql.query(query).execute().await().iterator().next().getLong(0);
  }
}
