package fincloud.payments;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.node.DatabaseSettings;
import fincloud.testkit.Funds;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A connection lost while COMMIT was on its way was answered "nothing was applied", which the
 * ledger cannot know: the database may have committed. The answer is now "the outcome is not known
 * yet: retry with the same Idempotency-Key", and that retry settles it.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class CommitOutcomeTest {
  /** The amount whose transfer the database's backend dies committing (a deferred trigger runs at COMMIT). */
  private static final long DIES_AT_COMMIT = 4242;

  static TestNode node;
  static TestClient http;

  /** Its own database: the test adds a trigger to it. */
  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject());
  }

  @Test
  void aConnectionLostWhileCommittingIsAnOutcomeNotKnownYet() throws Exception {
    String source = Funds.fundingAccount(http, "USD");
    String target = Funds.fundedAccount(http, "acme-teller", "USD", 1);
    String key = UUID.randomUUID().toString();
    JsonObject transfer = new JsonObject().put("debitAccountId", source).put("creditAccountId", target)
        .put("amount", DIES_AT_COMMIT).put("currency", "USD");
    sql("CREATE FUNCTION die_while_committing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " IF NEW.amount = " + DIES_AT_COMMIT + " THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;"
        + " RETURN NULL; END $$");
    sql("CREATE CONSTRAINT TRIGGER die_while_committing AFTER INSERT ON transfers DEFERRABLE INITIALLY DEFERRED"
        + " FOR EACH ROW EXECUTE FUNCTION die_while_committing()");

    HttpResponse<Buffer> lost = http.post("acme-admin", "/v1/transfers", transfer, key);
    assertThat(lost.statusCode()).as(lost.bodyAsString()).isEqualTo(503);
    assertThat(lost.bodyAsJsonObject().getString("code")).isEqualTo("UNAVAILABLE");
    assertThat(lost.bodyAsJsonObject().getString("detail"))
        .isEqualTo("the outcome is not known yet: retry with the same Idempotency-Key");
    assertThat(lost.getHeader("Retry-After")).isNotNull();

    sql("DROP TRIGGER die_while_committing ON transfers");
    HttpResponse<Buffer> retried = http.post("acme-admin", "/v1/transfers", transfer, key);
    assertThat(retried.statusCode()).as(retried.bodyAsString()).isEqualTo(201);
    assertThat(Funds.posted(http, "acme-teller", target)).isEqualTo(1 + DIES_AT_COMMIT);
  }

  private static void sql(String statement) throws Exception {
    try (Connection connection = DatabaseSettings.connect(node.pgUrl()); Statement sql = connection.createStatement()) {
      sql.execute(statement);
    }
  }
}
