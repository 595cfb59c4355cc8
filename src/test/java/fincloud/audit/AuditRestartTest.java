package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
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

  private static long count(Pool sql, String query) {
    return sql.query(query).execute().await().iterator().next().getLong(0);
  }
}
