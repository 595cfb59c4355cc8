package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Funds;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node and its embedded database are stopped, while transfers are in flight, and started again on
 * the same data folder: what was acknowledged is there, what was not answered was not applied,
 * tokens issued before still work, and retrying every request with its Idempotency-Key makes each
 * take effect exactly once.
 */
@ExtendWith(VertxExtension.class)
class RestartTest {
  private static final String TELLER = "acme-teller";
  private static final int IN_FLIGHT = 40;

  @TempDir
  Path dataDir;

  @Test
  void moneySurvivesARestartOfNodeAndDatabase(Vertx vertx) throws Exception {
    EmbeddedDatabase database = EmbeddedDatabase.start(dataDir, 0);
    assertThat(Files.readString(dataDir.resolve("postgres.url"), StandardCharsets.UTF_8).trim())
        .isEqualTo(database.url());
    Migrations.migrate(database.url());
    DatabaseSettings.requireDurable(database.url());
    TestNode first = TestNode.start(vertx, new JsonObject(), database.url());
    TestClient http = first.client();
    String token = http.token(TELLER);

    String a = http.openAccount(TELLER, new JsonObject().put("currency", "EUR").put("ownerRef", "cust-1")
        .put("metadata", new JsonObject().put("kept", true))).getString("id");
    String b = http.openAccount(TELLER, new JsonObject().put("currency", "EUR")).getString("id");
    Funds.fund(http, a, "EUR", 1_000_000);
    HttpResponse<Buffer> before = http.transfer(TELLER, a, b, 1234, "EUR");
    assertThat(before.statusCode()).isEqualTo(201);
    JsonObject accountBefore = http.get(TELLER, "/v1/accounts/" + a).bodyAsJsonObject();

    // Transfers in flight while the node stops: each is either acknowledged or not, never half done.
    WebClient web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(first.port()));
    List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
    for (int i = 0; i < IN_FLIGHT; i++) {
      inFlight.add(send(web, token, "restart-" + i, a, b));
    }
    Future.any(inFlight).await();
    first.stop();
    Future.join(inFlight).otherwiseEmpty().await();
    web.close();
    http.close();
    database.close();

    List<String> acknowledged = new ArrayList<>();
    for (Future<HttpResponse<Buffer>> answer : inFlight) {
      if (answer.succeeded() && answer.result().statusCode() == 201) {
        acknowledged.add(answer.result().bodyAsJsonObject().getString("id"));
      } else if (answer.succeeded()) {
        assertThat(answer.result().statusCode()).as(answer.result().bodyAsString()).isEqualTo(503);
        acknowledged.add(null);
      } else {
        acknowledged.add(null);
      }
    }
    assertThat(acknowledged.stream().filter(java.util.Objects::nonNull)).as("the first answer arrived before the stop").isNotEmpty();

    EmbeddedDatabase again = EmbeddedDatabase.start(dataDir, 0);
    try {
      Migrations.migrate(again.url());
      TestNode second = TestNode.start(vertx, new JsonObject(), again.url());
      TestClient http2 = second.client();
      try {
        WebClient web2 = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
            .setDefaultPort(second.port()));
        // The signing key is kept in the database: a token of the first run is still good.
        HttpResponse<Buffer> sameAccount = web2.get("/v1/accounts/" + a).bearerTokenAuthentication(token).send().await();
        assertThat(sameAccount.statusCode()).isEqualTo(200);
        JsonObject accountAfter = sameAccount.bodyAsJsonObject();
        assertThat(accountAfter.copy().put("balance", null)).isEqualTo(accountBefore.copy().put("balance", null));
        String beforeId = before.bodyAsJsonObject().getString("id");
        assertThat(web2.get("/v1/transfers/" + beforeId).bearerTokenAuthentication(token).send().await()
            .bodyAsJsonObject()).isEqualTo(before.bodyAsJsonObject());
        for (String id : acknowledged) {
          if (id != null) {
            HttpResponse<Buffer> kept = http2.get(TELLER, "/v1/transfers/" + id);
            assertThat(kept.statusCode()).as("acknowledged transfer %s", id).isEqualTo(200);
            assertThat(kept.bodyAsJsonObject().getString("status")).isEqualTo("POSTED");
          }
        }

        // Every client retries what it was not told about; each key takes effect once.
        for (int i = 0; i < IN_FLIGHT; i++) {
          HttpResponse<Buffer> retry = send(web2, token, "restart-" + i, a, b).await();
          assertThat(retry.statusCode()).as(retry.bodyAsString()).isEqualTo(201);
          if (acknowledged.get(i) != null) {
            assertThat(retry.getHeader("Idempotent-Replayed")).isEqualTo("true");
            assertThat(retry.bodyAsJsonObject().getString("id")).isEqualTo(acknowledged.get(i));
          } else {
            // The drain answers all it takes: a request that got no answer was not taken.
            assertThat(retry.getHeader("Idempotent-Replayed")).as("request %s was applied unanswered", i).isNull();
          }
        }
        web2.close();
        assertThat(Funds.posted(http2, TELLER, b)).isEqualTo(1234 + IN_FLIGHT * 100L);
        assertThat(Funds.posted(http2, TELLER, a)).isEqualTo(1_000_000 - 1234 - IN_FLIGHT * 100L);
        JsonObject eur = http2.get("acme-auditor", "/v1/ledger/trial-balance").bodyAsJsonObject()
            .getJsonArray("currencies").getJsonObject(0);
        assertThat(eur).isEqualTo(new JsonObject().put("currency", "EUR").put("accounts", 3).put("sumPosted", 0)
            .put("sumPending", 0).put("postedTransfers", 2 + IN_FLIGHT).put("entries", 2 * (2 + IN_FLIGHT)));
      } finally {
        http2.close();
        second.stop();
      }
    } finally {
      again.close();
    }
  }

  private static Future<HttpResponse<Buffer>> send(WebClient web, String token, String key, String debit,
      String credit) {
    return web.post("/v1/transfers").bearerTokenAuthentication(token).putHeader("Idempotency-Key", key)
        .sendJsonObject(new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit)
            .put("amount", 100).put("currency", "EUR"));
  }
}
