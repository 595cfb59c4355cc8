package fincloud.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.node.ConfigLoader;
import fincloud.node.DatabaseSettings;
import fincloud.node.NodeConfig;
import fincloud.shared.InvalidSettingException;
import fincloud.testkit.Eventually;
import fincloud.testkit.Funds;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Idempotency records and fences were kept for ever (the table grew without bound): they are kept
 * {@code ledger.idempotencyRetentionDays} and purged in the background.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class IdempotencyRetentionTest {
  static TestNode node;
  static TestClient http;

  /** Its own database (the test ages rows by hand), purging every 200 ms instead of every minute. */
  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject().put("ledger", new JsonObject()
        .put("idempotencyRetentionDays", 30).put("idempotencyPurgeIntervalMs", 200)));
  }

  @Test
  void aRecordPastItsRetentionIsPurgedAndAFreshOneKept() throws Exception {
    String source = Funds.fundingAccount(http, "USD");
    String target = Funds.fundedAccount(http, "acme-teller", "USD", 0);
    JsonObject transfer = new JsonObject().put("debitAccountId", source).put("creditAccountId", target)
        .put("amount", 5).put("currency", "USD");
    String old = UUID.randomUUID().toString();
    String fresh = UUID.randomUUID().toString();
    assertThat(http.post("acme-admin", "/v1/transfers", transfer, old).statusCode()).isEqualTo(201);
    assertThat(http.post("acme-admin", "/v1/transfers", transfer, fresh).statusCode()).isEqualTo(201);
    sql("UPDATE idempotency_records SET created_at = now() - interval '31 days' WHERE key = ?", old);
    sql("UPDATE idempotency_records SET created_at = now() - interval '29 days' WHERE key = ?", fresh);
    sql("INSERT INTO idempotency_fences (tenant, key, fenced_at) VALUES ('acme', ?, now() - interval '31 days')", old);
    sql("INSERT INTO idempotency_fences (tenant, key, fenced_at) VALUES ('acme', ?, now())", fresh);

    Eventually.until("the old record and fence purged", Duration.ofSeconds(15),
        () -> rows("idempotency_records", old) + rows("idempotency_fences", old), n -> n == 0);
    assertThat(rows("idempotency_records", fresh)).isEqualTo(1);
    assertThat(rows("idempotency_fences", fresh)).isEqualTo(1);

    HttpResponse<Buffer> replayed = http.post("acme-admin", "/v1/transfers", transfer, fresh);
    assertThat(replayed.statusCode()).isEqualTo(201);
    assertThat(replayed.getHeader("Idempotent-Replayed")).isEqualTo("true");
  }

  @Test
  void theRetentionIsAtLeastADay() {
    JsonObject none = ConfigLoader.defaults().put("ledger", ConfigLoader.defaults().getJsonObject("ledger").copy()
        .put("idempotencyRetentionDays", 0));
    assertThatThrownBy(() -> new NodeConfig(none)).isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("ledger.idempotencyRetentionDays");
    assertThat(new NodeConfig(ConfigLoader.defaults()).ledger().idempotencyRetentionDays()).isEqualTo(30);
  }

  private static long rows(String table, String key) {
    return TestSql.number(node.pgUrl(), "SELECT count(*) FROM " + table + " WHERE key = ?", key);
  }

  private static void sql(String statement, String key) throws Exception {
    try (Connection connection = DatabaseSettings.connect(node.pgUrl());
         PreparedStatement sql = connection.prepareStatement(statement)) {
      sql.setString(1, key);
      sql.executeUpdate();
    }
  }
}
