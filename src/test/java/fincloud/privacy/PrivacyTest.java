package fincloud.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.Funds;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Customer fields (ownerRef, metadata, reference) are in every API answer and in no table: the
 * scan reads every row of every table of the schema as text. (A pg_dump would show the same rows;
 * the system's pg_dump is older than the embedded PostgreSQL 17 and refuses to dump it, so the
 * scan is done in SQL over every table.) Erasure destroys an account's key for good, money and
 * the audit chain untouched; a rotation of the key-encryption key under load loses nothing.
 */
@ExtendWith(VertxExtension.class)
class PrivacyTest {
  private static final String TELLER = "acme-teller";
  private static final String ADMIN = "acme-admin";
  private static final String AUDITOR = "acme-auditor";

  @TempDir
  Path dataDir;

  @Test
  void customerFieldsAreInEveryAnswerAndInNoTable(Vertx vertx) {
    TestNode node = TestNode.start(vertx, new JsonObject().put("FINCLOUD_DATA_DIR", dataDir.toString()));
    TestClient http = node.client();
    String marker = UUID.randomUUID().toString().replace("-", "");
    JsonObject ownerMetadata = new JsonObject().put("note", "meta-" + marker);
    JsonObject account = http.openAccount(TELLER, new JsonObject().put("currency", "EUR")
        .put("ownerRef", "owner-" + marker).put("metadata", ownerMetadata));
    String id = account.getString("id");
    assertThat(account.getString("ownerRef")).isEqualTo("owner-" + marker);
    assertThat(account.getJsonObject("metadata")).isEqualTo(ownerMetadata);
    Funds.fund(http, id, "EUR", 10_000);
    String other = http.openAccount(TELLER, new JsonObject().put("currency", "EUR")).getString("id");

    JsonObject request = transferRequest(id, other, "ref-" + marker, new JsonObject().put("memo", "tmeta-" + marker));
    HttpResponse<Buffer> created = http.post(TELLER, "/v1/transfers", request, "privacy-" + marker);
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    HttpResponse<Buffer> replayed = http.post(TELLER, "/v1/transfers", request, "privacy-" + marker);
    assertThat(replayed.getHeader("Idempotent-Replayed")).isEqualTo("true");
    String transfer = created.bodyAsJsonObject().getString("id");

    for (JsonObject answer : List.of(created.bodyAsJsonObject(), replayed.bodyAsJsonObject(),
        ok(http.get(TELLER, "/v1/transfers/" + transfer)), first(http.get(TELLER, "/v1/transfers?accountId=" + id)))) {
      assertThat(answer.getString("reference")).isEqualTo("ref-" + marker);
      assertThat(answer.getJsonObject("metadata")).isEqualTo(request.getJsonObject("metadata"));
    }
    JsonObject listed = ok(http.get(TELLER, "/v1/accounts?limit=1000")).getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(a -> a.getString("id").equals(id)).findFirst().orElseThrow();
    for (JsonObject answer : List.of(ok(http.get(TELLER, "/v1/accounts/" + id)), listed)) {
      assertThat(answer.getString("ownerRef")).isEqualTo("owner-" + marker);
      assertThat(answer.getJsonObject("metadata")).isEqualTo(ownerMetadata);
      assertThat(answer.containsKey("erased")).isFalse();
    }

    JsonObject opened = sealedRecord(http, id, "ACCOUNT_OPENED");
    assertThat(opened.getJsonObject("data").getString("ownerRef")).startsWith("fc1:");
    assertThat(opened.getJsonObject("clearData").getString("ownerRef")).isEqualTo("owner-" + marker);
    assertThat(opened.getJsonObject("clearData").getJsonObject("metadata")).isEqualTo(ownerMetadata);
    JsonObject posted = sealedRecord(http, transfer, "TRANSFER_POSTED");
    assertThat(posted.getJsonObject("clearData").getString("reference")).isEqualTo("ref-" + marker);
    assertThat(ok(http.get(AUDITOR, "/v1/audit/verify")).getBoolean("valid")).isTrue();

    // the scan sees the rows (the account id is in several tables), and no customer value in any
    assertThat(tablesContaining(node.pgUrl(), id)).contains("accounts", "account_keys", "audit_log", "transfers");
    for (String value : List.of("owner-" + marker, "meta-" + marker, "ref-" + marker, "tmeta-" + marker)) {
      assertThat(tablesContaining(node.pgUrl(), value)).as(value).isEmpty();
    }
    http.close();
    node.stop();
  }

  @Test
  void anErasedAccountStaysErasedWithItsMoneyAndTheChainWhole(Vertx vertx) {
    // the key-encryption key generated in the data folder (demo mode), kept across the restart
    JsonObject config = new JsonObject().put("FINCLOUD_DATA_DIR", dataDir.toString())
        .put("privacy", new JsonObject().putNull("keys"));
    String pgUrl = TestDatabase.freshDatabase();
    TestNode node = TestNode.start(vertx, config, pgUrl);
    TestClient http = node.client();
    String customer = http.openAccount(TELLER, new JsonObject().put("currency", "EUR").put("ownerRef", "alice")
        .put("metadata", new JsonObject().put("name", "Alice"))).getString("id");
    Funds.fund(http, customer, "EUR", 10_000);
    String shop = http.openAccount(TELLER, new JsonObject().put("currency", "EUR").put("ownerRef", "shop")).getString("id");
    String paid = created(http, transferRequest(customer, shop, "alice-pays-shop", new JsonObject().put("k", "v")));
    String refund = created(http, transferRequest(shop, customer, "shop-refunds-alice", new JsonObject()));
    JsonObject trialBefore = ok(http.get(ADMIN, "/v1/ledger/trial-balance"));
    JsonObject balanceBefore = Funds.balance(http, TELLER, customer);
    String keyId = TestSql.rows(pgUrl, "SELECT key_id FROM account_keys WHERE account_id = ?", customer)
        .get(0).get("key_id").toString();

    assertThat(http.post(TELLER, "/v1/accounts/" + customer + "/erase", null).statusCode()).isEqualTo(403);
    JsonObject erased = ok(http.post(ADMIN, "/v1/accounts/" + customer + "/erase", null));
    assertErased(erased, balanceBefore);
    assertThat(ok(http.post(ADMIN, "/v1/accounts/" + customer + "/erase", null))).isEqualTo(erased);
    assertThat(TestSql.number(pgUrl, "SELECT count(*) FROM account_keys WHERE key_id = ?", keyId)).isZero();

    sealedRecord(http, customer, "ACCOUNT_ERASED");
    assertThat(dataDir.resolve("key-encryption-keys.json")).exists();
    http.close();
    node.stop();

    // a restart (same data folder, same keys) does not bring anything back
    node = TestNode.start(vertx, config, pgUrl);
    http = node.client();
    assertErased(ok(http.get(TELLER, "/v1/accounts/" + customer)), balanceBefore);
    JsonObject paidNow = ok(http.get(TELLER, "/v1/transfers/" + paid));
    assertThat(paidNow.getValue("reference")).isNull();
    assertThat(paidNow.getJsonObject("metadata")).isEqualTo(new JsonObject());
    assertThat(paidNow.getLong("amount")).isEqualTo(100L);
    // a transfer the customer only received follows its debit account's key: untouched
    assertThat(ok(http.get(TELLER, "/v1/transfers/" + refund)).getString("reference")).isEqualTo("shop-refunds-alice");
    assertThat(ok(http.get(ADMIN, "/v1/ledger/trial-balance")).getJsonArray("currencies"))
        .isEqualTo(trialBefore.getJsonArray("currencies"));
    JsonObject opened = sealedRecord(http, customer, "ACCOUNT_OPENED");
    assertThat(opened.getJsonObject("clearData").getValue("ownerRef")).isNull();
    assertThat(opened.getJsonObject("data").getString("ownerRef")).startsWith("fc1:" + keyId + ":");
    JsonObject verdict = ok(http.get(AUDITOR, "/v1/audit/verify"));
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
    http.close();
    node.stop();
  }

  @Test
  void rotatingTheKeyEncryptionKeyUnderLoadLosesNothing(Vertx vertx) {
    String k1 = randomKey();
    String k2 = randomKey();
    String pgUrl = TestDatabase.freshDatabase();
    TestNode node = TestNode.start(vertx, keys("k1", Map.of("k1", k1)), pgUrl);
    TestClient http = node.client();
    String funding = Funds.fundingAccount(http, "EUR");
    List<String> accounts = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      accounts.add(http.openAccount(TELLER, new JsonObject().put("currency", "EUR").put("ownerRef", "owner-" + i)).getString("id"));
    }
    http.close();
    node.stop();

    // k2 active, k1 still known: the rewrap moves every data key while transfers and openings go on
    node = TestNode.start(vertx, keys("k2", Map.of("k1", k1, "k2", k2)), pgUrl);
    http = node.client();
    String token = http.token(ADMIN);
    List<Future<HttpResponse<Buffer>>> load = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      load.add(http.web().post("/v1/transfers").bearerTokenAuthentication(token)
          .putHeader("Idempotency-Key", "rotation-" + i)
          .sendJsonObject(transferRequest(funding, accounts.get(i % accounts.size()), "ref-" + i, new JsonObject())));
      if (i % 3 == 0) {
        load.add(http.web().post("/v1/accounts").bearerTokenAuthentication(token)
            .sendJsonObject(new JsonObject().put("currency", "EUR").put("ownerRef", "late-" + i)));
      }
    }
    Future.join(load).await();
    String url = pgUrl;
    Eventually.until("every data key rewrapped with k2", Duration.ofSeconds(30),
        () -> TestSql.number(url, "SELECT count(*) FROM account_keys WHERE kek_id <> 'k2'") == 0);
    List<JsonObject> answers = new ArrayList<>();
    for (Future<HttpResponse<Buffer>> answer : load) {
      assertThat(answer.result().statusCode()).as(answer.result().bodyAsString()).isEqualTo(201);
      answers.add(answer.result().bodyAsJsonObject());
    }
    http.close();
    node.stop();

    // k1 destroyed: everything still reads in clear
    node = TestNode.start(vertx, keys("k2", Map.of("k2", k2)), pgUrl);
    http = node.client();
    for (JsonObject answer : answers) {
      String path = answer.containsKey("debitAccountId") ? "/v1/transfers/" : "/v1/accounts/";
      JsonObject now = ok(http.get(TELLER, path + answer.getString("id")));
      assertThat(now.getValue("reference")).isEqualTo(answer.getValue("reference"));
      assertThat(now.getValue("ownerRef")).isEqualTo(answer.getValue("ownerRef"));
    }
    for (int i = 0; i < accounts.size(); i++) {
      assertThat(ok(http.get(TELLER, "/v1/accounts/" + accounts.get(i))).getString("ownerRef")).isEqualTo("owner-" + i);
    }
    JsonObject line = ok(http.get(ADMIN, "/v1/ledger/trial-balance")).getJsonArray("currencies").getJsonObject(0);
    assertThat(line.getLong("sumPosted")).isZero();
    assertThat(line.getLong("postedTransfers")).isEqualTo(60L);
    http.close();
    node.stop();
  }

  private JsonObject keys(String active, Map<String, String> keys) {
    return new JsonObject().put("FINCLOUD_DATA_DIR", dataDir.toString())
        .put("privacy", new JsonObject().put("rewrapIntervalMs", 20).put("rewrapBatch", 4)
            .put("keys", new JsonObject().put("active", active).put("keys", new JsonObject(Map.copyOf(keys)))));
  }

  private static String randomKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  private static void assertErased(JsonObject account, JsonObject balance) {
    assertThat(account.getValue("ownerRef")).isNull();
    assertThat(account.getJsonObject("metadata")).isEqualTo(new JsonObject());
    assertThat(account.getBoolean("erased")).isTrue();
    assertThat(account.getJsonObject("balance")).isEqualTo(balance);
  }

  private static JsonObject transferRequest(String debit, String credit, String reference, JsonObject metadata) {
    return new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit).put("amount", 100)
        .put("currency", "EUR").put("reference", reference).put("metadata", metadata);
  }

  private static String created(TestClient http, JsonObject request) {
    HttpResponse<Buffer> response = http.post(TELLER, "/v1/transfers", request, UUID.randomUUID().toString());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject().getString("id");
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static JsonObject first(HttpResponse<Buffer> page) {
    return ok(page).getJsonArray("items").getJsonObject(0);
  }

  /** The entity's record of {@code action} once sealed into the chain, as the auditor reads it. */
  private static JsonObject sealedRecord(TestClient http, String entityId, String action) {
    return Eventually.until(action + " of " + entityId + " in the chain", Duration.ofSeconds(10),
        () -> ok(http.get(AUDITOR, "/v1/audit/events?limit=1000&entityId=" + entityId)).getJsonArray("items")
            .stream().map(JsonObject.class::cast).filter(r -> r.getString("action").equals(action)).findFirst(),
        java.util.Optional::isPresent).orElseThrow();
  }

  /** The tables of the schema in which some row, read whole as text, contains {@code value}. */
  private static List<String> tablesContaining(String pgUrl, String value) {
    List<String> found = new ArrayList<>();
    for (Map<String, Object> table : TestSql.rows(pgUrl,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")) {
      String name = table.get("tablename").toString();
      if (TestSql.number(pgUrl, "SELECT count(*) FROM \"" + name + "\" t WHERE strpos(t::text, ?) > 0", value) > 0) {
        found.add(name);
      }
    }
    return found;
  }
}
