package fincloud.payments;

import static fincloud.testkit.Problems.assertProblem;
import static fincloud.testkit.Problems.assertProblemBody;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.idempotency.IdempotencyRecords;
import fincloud.testkit.Eventually;
import fincloud.testkit.Funds;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** IMMEDIATE transfers through HTTP: refusals in docs/contract.md's order, reads, and idempotency. */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class TransfersApiTest {
  private static final String TELLER = "acme-teller";
  private static final String AUDITOR = "acme-auditor";
  private static final String GLOBEX = "globex-teller";
  private static final String GLOBEX_ADMIN = "globex-admin";

  static TestNode node;
  static TestClient http;

  /**
   * Its own node: it adds a constraint to the transfers table and runs other nodes on its database;
   * and globex grants credit in keysBelongToOneTenant, with an admin the demo configuration does not have.
   */
  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject().put("clients", new JsonArray()
        .add(TestClient.configured(GLOBEX_ADMIN, "globex", "accounts:read accounts:write admin"))));
  }

  private static String open(String clientId, String currency) {
    return http.openAccount(clientId, new JsonObject().put("currency", currency)).getString("id");
  }

  private static String funded(long amount) {
    return Funds.fundedAccount(http, TELLER, "EUR", amount);
  }

  private static JsonObject body(String debit, String credit, long amount, String currency) {
    return new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit).put("amount", amount)
        .put("currency", currency);
  }

  private static HttpResponse<Buffer> transfer(String clientId, JsonObject body, String key) {
    return http.post(clientId, "/v1/transfers", body, key);
  }

  private static String key() {
    return "k-" + UUID.randomUUID();
  }

  private static long posted(String accountId) {
    return Funds.posted(http, TELLER, accountId);
  }

  private static JsonArray transfersOf(String accountId) {
    HttpResponse<Buffer> response = http.get(TELLER, "/v1/transfers?limit=1000&accountId=" + accountId);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonArray("items");
  }

  @Test
  void anImmediateTransferIsPostedAtOnce() {
    String debit = funded(1000);
    String credit = open(TELLER, "EUR");
    JsonObject metadata = new JsonObject().put("invoice", "inv-7").put("lines", new JsonArray().add(1).add(2));
    HttpResponse<Buffer> response = transfer(TELLER, body(debit, credit, 250, "EUR").put("reference", "inv-7")
        .put("metadata", metadata), key());
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    assertThat(response.getHeader("Idempotent-Replayed")).isNull();
    JsonObject t = response.bodyAsJsonObject();
    assertThat(t.getString("id")).startsWith("trf_");
    assertThat(t.getString("tenant")).isEqualTo("acme");
    assertThat(t.getString("debitAccountId")).isEqualTo(debit);
    assertThat(t.getString("creditAccountId")).isEqualTo(credit);
    assertThat(t.getLong("amount")).isEqualTo(250L);
    assertThat(t.getString("currency")).isEqualTo("EUR");
    assertThat(t.getString("mode")).isEqualTo("IMMEDIATE");
    assertThat(t.getString("status")).isEqualTo("POSTED");
    assertThat(t.getLong("postedAmount")).isEqualTo(250L);
    assertThat(t.getString("reference")).isEqualTo("inv-7");
    assertThat(t.getJsonObject("metadata")).isEqualTo(metadata);
    assertThat(t.getJsonObject("risk").getString("decision")).isEqualTo("APPROVE");
    assertThat(t.getJsonObject("risk").getJsonArray("reasons")).isEmpty();
    assertThat(Instant.parse(t.getString("createdAt"))).isEqualTo(Instant.parse(t.getString("postedAt")));
    assertThat(t.getValue("expiresAt")).isNull();
    assertThat(t.getValue("voidReason")).isNull();

    assertThat(Funds.balance(http, TELLER, debit)).isEqualTo(new JsonObject().put("posted", 750).put("pending", 0)
        .put("available", 750));
    assertThat(Funds.balance(http, TELLER, credit)).isEqualTo(new JsonObject().put("posted", 250).put("pending", 0)
        .put("available", 250));
    HttpResponse<Buffer> read = http.get(AUDITOR, "/v1/transfers/" + t.getString("id"));
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.bodyAsJsonObject()).isEqualTo(t);
  }

  @Test
  void refusalsComeInApiOrder() {
    String eur = funded(100);
    String eur2 = open(TELLER, "EUR");
    String usd = open(TELLER, "USD");
    String frozen = funded(100);
    String frozenEmpty = open(TELLER, "EUR");
    for (String id : List.of(frozen, frozenEmpty)) {
      assertThat(http.post(TELLER, "/v1/accounts/" + id + "/freeze", null).statusCode()).isEqualTo(200);
    }
    String globex = open(GLOBEX, "EUR");
    String unknown = "acc_00000000000000000000000000";
    JsonObject invalid = body(unknown, unknown, 0, "EUR");

    // 401 before 403 before 400.
    assertProblem(http.post(null, "/v1/transfers", invalid, key()), 401, "UNAUTHENTICATED");
    assertProblem(transfer(AUDITOR, invalid, key()), 403, "FORBIDDEN");
    // 400 before 404.
    assertProblem(transfer(TELLER, invalid, key()), 400, "VALIDATION_FAILED");
    // 404 (unknown, or another tenant's) before SAME_ACCOUNT.
    assertProblem(transfer(TELLER, body(unknown, unknown, 10, "EUR"), key()), 404, "NOT_FOUND");
    assertProblem(transfer(TELLER, body(unknown, eur, 10, "EUR"), key()), 404, "NOT_FOUND");
    assertProblem(transfer(TELLER, body(eur, unknown, 10, "EUR"), key()), 404, "NOT_FOUND");
    assertProblem(transfer(TELLER, body(eur, globex, 10, "EUR"), key()), 404, "NOT_FOUND");
    assertProblem(transfer(GLOBEX, body(eur, globex, 10, "EUR"), key()), 404, "NOT_FOUND");
    // SAME_ACCOUNT before CURRENCY_MISMATCH and ACCOUNT_NOT_ACTIVE.
    assertProblem(transfer(TELLER, body(eur, eur, 10, "USD"), key()), 422, "SAME_ACCOUNT");
    assertProblem(transfer(TELLER, body(frozenEmpty, frozenEmpty, 10, "EUR"), key()), 422, "SAME_ACCOUNT");
    // CURRENCY_MISMATCH before ACCOUNT_NOT_ACTIVE.
    assertProblem(transfer(TELLER, body(eur, usd, 10, "EUR"), key()), 422, "CURRENCY_MISMATCH");
    assertProblem(transfer(TELLER, body(eur, eur2, 10, "USD"), key()), 422, "CURRENCY_MISMATCH");
    assertProblem(transfer(TELLER, body(frozenEmpty, usd, 10, "USD"), key()), 422, "CURRENCY_MISMATCH");
    // ACCOUNT_NOT_ACTIVE (either side) before INSUFFICIENT_FUNDS.
    assertProblem(transfer(TELLER, body(frozenEmpty, eur2, 10, "EUR"), key()), 422, "ACCOUNT_NOT_ACTIVE");
    assertProblem(transfer(TELLER, body(frozen, eur2, 10, "EUR"), key()), 422, "ACCOUNT_NOT_ACTIVE");
    assertProblem(transfer(TELLER, body(eur2, frozen, 10, "EUR"), key()), 422, "ACCOUNT_NOT_ACTIVE");
    // INSUFFICIENT_FUNDS last.
    assertProblem(transfer(TELLER, body(eur2, eur, 1, "EUR"), key()), 422, "INSUFFICIENT_FUNDS");
    assertProblem(transfer(TELLER, body(eur, eur2, 101, "EUR"), key()), 422, "INSUFFICIENT_FUNDS");

    // Refusals create no transfer and move nothing.
    assertThat(posted(eur)).isEqualTo(100L);
    assertThat(posted(eur2)).isZero();
    assertThat(posted(frozen)).isEqualTo(100L);
    assertThat(transfersOf(eur)).hasSize(1);
    assertThat(transfersOf(eur2)).isEmpty();
    assertThat(transfersOf(usd)).isEmpty();
  }

  @Test
  void theOverdraftLimitIsTheLowerBoundOfAvailable() {
    String overdraft = http.openAccount(Funds.ADMIN, new JsonObject().put("currency", "EUR").put("overdraftLimit", 500))
        .getString("id");
    String other = open(TELLER, "EUR");
    assertThat(transfer(TELLER, body(overdraft, other, 300, "EUR"), key()).statusCode()).isEqualTo(201);
    assertProblem(transfer(TELLER, body(overdraft, other, 201, "EUR"), key()), 422, "INSUFFICIENT_FUNDS");
    assertThat(transfer(TELLER, body(overdraft, other, 200, "EUR"), key()).statusCode()).isEqualTo(201);
    assertThat(Funds.balance(http, TELLER, overdraft)).isEqualTo(new JsonObject().put("posted", -500)
        .put("pending", 0).put("available", -500));
    assertProblem(transfer(TELLER, body(overdraft, other, 1, "EUR"), key()), 422, "INSUFFICIENT_FUNDS");
    // Money in is always welcome, and can be spent again.
    assertThat(transfer(TELLER, body(other, overdraft, 1, "EUR"), key()).statusCode()).isEqualTo(201);
    assertThat(transfer(TELLER, body(overdraft, other, 1, "EUR"), key()).statusCode()).isEqualTo(201);
    assertThat(posted(overdraft)).isEqualTo(-500L);
  }

  @Test
  void changesAndRefusalsAreAuditedWithTheirTransaction() {
    String debit = funded(100);
    String credit = open(TELLER, "EUR");
    String okKey = key();
    HttpResponse<Buffer> ok = http.web().post("/v1/transfers").bearerTokenAuthentication(http.token(TELLER))
        .putHeader("Idempotency-Key", okKey).putHeader("X-Request-Id", "audit-ok-" + okKey)
        .sendJsonObject(body(debit, credit, 60, "EUR")).await();
    assertThat(ok.statusCode()).isEqualTo(201);
    String refusedKey = key();
    assertProblem(transfer(TELLER, body(debit, credit, 41, "EUR"), refusedKey), 422, "INSUFFICIENT_FUNDS");

    String transferId = ok.bodyAsJsonObject().getString("id");
    List<Map<String, Object>> posted = TestSql.rows(node.pgUrl(),
        "SELECT tenant, actor, action, entity_type, success, origin, request_id, data::text AS data FROM " + TestSql.AUDIT_FACTS + " AS facts"
            + " WHERE entity_id = ?", transferId);
    assertThat(posted).hasSize(1);
    assertThat(posted.get(0)).containsEntry("tenant", "acme").containsEntry("actor", TELLER)
        .containsEntry("action", "TRANSFER_POSTED").containsEntry("entity_type", "transfer")
        .containsEntry("success", true).containsEntry("request_id", "audit-ok-" + okKey);
    assertThat((String) posted.get(0).get("origin")).isNotBlank();
    assertThat(new JsonObject((String) posted.get(0).get("data")).getLong("amount")).isEqualTo(60L);

    List<Map<String, Object>> rejected = TestSql.rows(node.pgUrl(),
        "SELECT action, entity_type, success, data::text AS data FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE entity_id = ?"
            + " AND action = 'TRANSFER_REJECTED'", debit);
    assertThat(rejected).hasSize(1);
    assertThat(rejected.get(0)).containsEntry("entity_type", "account").containsEntry("success", false);
    JsonObject data = new JsonObject((String) rejected.get(0).get("data"));
    assertThat(data.getString("code")).isEqualTo("INSUFFICIENT_FUNDS");
    assertThat(data.getString("idempotencyKey")).isEqualTo(refusedKey);
  }

  @Test
  void aTransferIsReadByItsTenantOnly() {
    String debit = funded(100);
    String credit = open(TELLER, "EUR");
    String id = transfer(TELLER, body(debit, credit, 5, "EUR"), key()).bodyAsJsonObject().getString("id");
    assertThat(http.get(TELLER, "/v1/transfers/" + id).statusCode()).isEqualTo(200);
    assertProblem(http.get(GLOBEX, "/v1/transfers/" + id), 404, "NOT_FOUND");
    for (String unknown : List.of("trf_00000000000000000000000000", "nope", debit, "batch")) {
      assertProblem(http.get(TELLER, "/v1/transfers/" + unknown), 404, "NOT_FOUND");
    }
    assertThat(http.get(GLOBEX, "/v1/transfers?accountId=" + debit).bodyAsJsonObject().getJsonArray("items")).isEmpty();
    JsonArray globexAll = http.get(GLOBEX, "/v1/transfers?limit=1000").bodyAsJsonObject().getJsonArray("items");
    assertThat(globexAll.stream().map(o -> ((JsonObject) o).getString("tenant"))).allMatch("globex"::equals);
  }

  @Test
  void transfersOfAnAccountAreListedNewestFirstInPages() {
    String a = funded(1000);
    String b = open(TELLER, "EUR");
    String c = open(TELLER, "EUR");
    List<String> ofA = new ArrayList<>();
    ofA.add(0, transfersOf(a).getJsonObject(0).getString("id"));
    ofA.add(0, transfer(TELLER, body(a, b, 10, "EUR"), key()).bodyAsJsonObject().getString("id"));
    ofA.add(0, transfer(TELLER, body(b, a, 5, "EUR"), key()).bodyAsJsonObject().getString("id"));
    String notA = transfer(TELLER, body(b, c, 1, "EUR"), key()).bodyAsJsonObject().getString("id");
    ofA.add(0, transfer(TELLER, body(a, c, 20, "EUR"), key()).bodyAsJsonObject().getString("id"));

    assertThat(ids(transfersOf(a))).isEqualTo(ofA);
    assertThat(ids(transfersOf(b))).containsExactly(notA, ofA.get(1), ofA.get(2));
    JsonObject first = http.get(TELLER, "/v1/transfers?accountId=" + a + "&limit=3").bodyAsJsonObject();
    assertThat(ids(first.getJsonArray("items"))).isEqualTo(ofA.subList(0, 3));
    JsonObject second = http.get(TELLER, "/v1/transfers?accountId=" + a + "&limit=3&cursor="
        + first.getString("nextCursor")).bodyAsJsonObject();
    assertThat(ids(second.getJsonArray("items"))).isEqualTo(ofA.subList(3, 4));
    assertThat(second.getValue("nextCursor")).isNull();

    List<String> all = ids(http.get(TELLER, "/v1/transfers?limit=5").bodyAsJsonObject().getJsonArray("items"));
    assertThat(all.subList(0, 2)).containsExactly(ofA.get(0), notA);
    assertThat(all).isSortedAccordingTo((x, y) -> y.compareTo(x));
  }

  private static List<String> ids(JsonArray items) {
    return items.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }

  @Test
  void theSameKeyAndBodyReplaysTheFirstAnswer() {
    String debit = funded(1000);
    String credit = open(TELLER, "EUR");
    String key = key();
    HttpResponse<Buffer> first = transfer(TELLER, body(debit, credit, 100, "EUR").put("reference", "r1"), key);
    assertThat(first.statusCode()).isEqualTo(201);
    String reordered = "{ \"reference\":\"r1\", \"currency\" : \"EUR\",\n\t\"amount\": 100, \"creditAccountId\": \""
        + credit + "\", \"debitAccountId\": \"" + debit + "\" }";
    HttpResponse<Buffer> replay = http.web().post("/v1/transfers").bearerTokenAuthentication(http.token(TELLER))
        .putHeader("Idempotency-Key", key).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(reordered)).await();
    assertThat(replay.statusCode()).isEqualTo(201);
    assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.bodyAsJsonObject()).isEqualTo(first.bodyAsJsonObject());
    assertThat(posted(credit)).isEqualTo(100L);
    assertThat(transfersOf(credit)).hasSize(1);
  }

  @Test
  void refusalsOfTheOperationAreStoredAndReplayed() {
    String debit = open(TELLER, "EUR");
    String credit = open(TELLER, "EUR");
    String key = key();
    JsonObject poor = assertProblem(transfer(TELLER, body(debit, credit, 100, "EUR"), key), 422, "INSUFFICIENT_FUNDS");
    Funds.fund(http, debit, "EUR", 1000);
    HttpResponse<Buffer> again = transfer(TELLER, body(debit, credit, 100, "EUR"), key);
    assertThat(assertProblemBody(again, 422, "INSUFFICIENT_FUNDS")).isEqualTo(poor);
    assertThat(again.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(posted(credit)).isZero();

    String unknownKey = key();
    JsonObject unknown = assertProblem(transfer(TELLER, body(debit, "acc_00000000000000000000000000", 1, "EUR"),
        unknownKey), 404, "NOT_FOUND");
    HttpResponse<Buffer> unknownAgain = transfer(TELLER, body(debit, "acc_00000000000000000000000000", 1, "EUR"),
        unknownKey);
    assertThat(assertProblemBody(unknownAgain, 404, "NOT_FOUND")).isEqualTo(unknown);
    assertThat(unknownAgain.getHeader("Idempotent-Replayed")).isEqualTo("true");

    String frozenKey = key();
    assertThat(http.post(TELLER, "/v1/accounts/" + credit + "/freeze", null).statusCode()).isEqualTo(200);
    assertProblem(transfer(TELLER, body(debit, credit, 1, "EUR"), frozenKey), 422, "ACCOUNT_NOT_ACTIVE");
    assertThat(http.post(Funds.ADMIN, "/v1/accounts/" + credit + "/unfreeze", null).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> frozenAgain = transfer(TELLER, body(debit, credit, 1, "EUR"), frozenKey);
    assertProblemBody(frozenAgain, 422, "ACCOUNT_NOT_ACTIVE");
    assertThat(frozenAgain.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(posted(credit)).isZero();
  }

  @Test
  void transientAndShapeRefusalsAreNotStored() {
    String debit = funded(1000);
    String credit = open(TELLER, "EUR");
    String key = key();
    assertProblem(transfer(TELLER, body(debit, credit, 0, "EUR"), key), 400, "VALIDATION_FAILED");
    assertProblem(transfer(AUDITOR, body(debit, credit, 10, "EUR"), key), 403, "FORBIDDEN");
    assertProblem(http.post(null, "/v1/transfers", body(debit, credit, 10, "EUR"), key), 401, "UNAUTHENTICATED");
    HttpResponse<Buffer> real = transfer(TELLER, body(debit, credit, 10, "EUR"), key);
    assertThat(real.statusCode()).isEqualTo(201);
    assertThat(real.getHeader("Idempotent-Replayed")).isNull();
    assertThat(posted(credit)).isEqualTo(10L);
  }

  @Test
  void theSameKeyWithAnotherBodyIsAReuse() {
    String debit = funded(1000);
    String credit = open(TELLER, "EUR");
    String key = key();
    HttpResponse<Buffer> first = transfer(TELLER, body(debit, credit, 100, "EUR"), key);
    assertThat(first.statusCode()).isEqualTo(201);
    assertProblem(transfer(TELLER, body(debit, credit, 101, "EUR"), key), 422, "IDEMPOTENCY_KEY_REUSED");
    assertProblem(transfer(TELLER, body(credit, debit, 100, "EUR"), key), 422, "IDEMPOTENCY_KEY_REUSED");
    assertProblem(transfer(TELLER, body(debit, credit, 100, "EUR").put("reference", "x"), key), 422,
        "IDEMPOTENCY_KEY_REUSED");
    // The reuse refusal is not stored: the first request still replays.
    HttpResponse<Buffer> replay = transfer(TELLER, body(debit, credit, 100, "EUR"), key);
    assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.bodyAsJsonObject()).isEqualTo(first.bodyAsJsonObject());
    assertThat(posted(credit)).isEqualTo(100L);
  }

  @Test
  void aKeyUsedOnAnotherRouteIsAReuse() {
    String debit = funded(1000);
    String credit = open(TELLER, "EUR");
    String accountKey = key();
    assertThat(http.post(TELLER, "/v1/accounts", new JsonObject().put("currency", "EUR"), accountKey).statusCode())
        .isEqualTo(201);
    assertProblem(transfer(TELLER, body(debit, credit, 10, "EUR"), accountKey), 422, "IDEMPOTENCY_KEY_REUSED");

    String transferKey = key();
    assertThat(transfer(TELLER, body(debit, credit, 10, "EUR"), transferKey).statusCode()).isEqualTo(201);
    assertProblem(http.post(TELLER, "/v1/accounts", new JsonObject().put("currency", "EUR"), transferKey), 422,
        "IDEMPOTENCY_KEY_REUSED");
    assertProblem(http.post(TELLER, "/v1/accounts/" + credit + "/freeze", null, transferKey), 422,
        "IDEMPOTENCY_KEY_REUSED");
    assertThat(Funds.balance(http, TELLER, credit).getLong("posted")).isEqualTo(10L);
    assertThat(http.get(TELLER, "/v1/accounts/" + credit).bodyAsJsonObject().getString("status")).isEqualTo("ACTIVE");
  }

  @Test
  void keysBelongToOneTenant() {
    String acmeDebit = funded(1000);
    String acmeCredit = open(TELLER, "EUR");
    String globexDebit = http.openAccount(GLOBEX_ADMIN, new JsonObject().put("currency", "EUR").put("overdraftLimit", 1000))
        .getString("id");
    String globexCredit = open(GLOBEX, "EUR");
    String key = key();
    HttpResponse<Buffer> acme = transfer(TELLER, body(acmeDebit, acmeCredit, 10, "EUR"), key);
    HttpResponse<Buffer> globex = transfer(GLOBEX, body(globexDebit, globexCredit, 10, "EUR"), key);
    assertThat(acme.statusCode()).isEqualTo(201);
    assertThat(globex.statusCode()).isEqualTo(201);
    assertThat(globex.getHeader("Idempotent-Replayed")).isNull();
    assertThat(globex.bodyAsJsonObject().getString("tenant")).isEqualTo("globex");
    // Globex replaying acme's body under the same key gets its own answer: acme's accounts are unknown to it.
    HttpResponse<Buffer> probe = transfer(GLOBEX, body(acmeDebit, acmeCredit, 10, "EUR"), key);
    assertProblem(probe, 422, "IDEMPOTENCY_KEY_REUSED");
    assertThat(probe.bodyAsString()).doesNotContain(acme.bodyAsJsonObject().getString("id"));
  }

  @Test
  void concurrentRequestsWithOneKeyTakeEffectOnce() {
    for (int round = 0; round < 4; round++) {
      String debit = funded(1000);
      String credit = open(TELLER, "EUR");
      String key = key();
      JsonObject request = body(debit, credit, 100, "EUR");
      List<HttpResponse<Buffer>> answers = concurrently(16, i -> http.web().post("/v1/transfers")
          .bearerTokenAuthentication(http.token(TELLER)).putHeader("Idempotency-Key", key).sendJsonObject(request));

      List<HttpResponse<Buffer>> created = answers.stream()
          .filter(r -> r.statusCode() == 201 && r.getHeader("Idempotent-Replayed") == null).toList();
      assertThat(created).as("exactly one first answer").hasSize(1);
      JsonObject transfer = created.get(0).bodyAsJsonObject();
      for (HttpResponse<Buffer> answer : answers) {
        if (answer.statusCode() == 201) {
          assertThat(answer.bodyAsJsonObject()).isEqualTo(transfer);
        } else {
          assertProblem(answer, 409, "IDEMPOTENCY_IN_FLIGHT");
        }
      }
      assertThat(posted(credit)).isEqualTo(100L);
      assertThat(posted(debit)).isEqualTo(900L);
      assertThat(ids(transfersOf(credit))).containsExactly(transfer.getString("id"));
    }
  }

  @Test
  void concurrentRequestsWithOneKeyAndDifferentBodiesTakeEffectOnce() {
    String debit = funded(10_000);
    String credit = open(TELLER, "EUR");
    String key = key();
    List<HttpResponse<Buffer>> answers = concurrently(12, i -> http.web().post("/v1/transfers")
        .bearerTokenAuthentication(http.token(TELLER)).putHeader("Idempotency-Key", key)
        .sendJsonObject(body(debit, credit, 100 + i, "EUR")));
    List<HttpResponse<Buffer>> created = answers.stream().filter(r -> r.statusCode() == 201).toList();
    assertThat(created).hasSize(1);
    for (HttpResponse<Buffer> answer : answers) {
      if (answer.statusCode() != 201) {
        assertThat(answer.bodyAsJsonObject().getString("code")).as(answer.bodyAsString())
            .isIn("IDEMPOTENCY_IN_FLIGHT", "IDEMPOTENCY_KEY_REUSED");
      }
    }
    long amount = created.get(0).bodyAsJsonObject().getLong("amount");
    assertThat(posted(credit)).isEqualTo(amount);
    assertThat(transfersOf(credit)).hasSize(1);
  }

  /**
   * Two nodes on one database (as in a cluster): neither knows what the other has in flight, so
   * only the database can tell that a key is taken.
   */
  @Test
  void concurrentRequestsWithOneKeyOnTwoNodesTakeEffectOnce() {
    Vertx otherVertx = Vertx.vertx();
    TestNode other = TestNode.start(otherVertx, new JsonObject(), node.pgUrl());
    TestClient otherHttp = other.client();
    try {
      for (int round = 0; round < 4; round++) {
        String debit = funded(1000);
        String credit = open(TELLER, "EUR");
        String key = key();
        JsonObject request = body(debit, credit, 100, "EUR");
        String token = http.token(TELLER);
        List<HttpResponse<Buffer>> answers = concurrently(16, i -> (i % 2 == 0 ? http : otherHttp).web()
            .post("/v1/transfers").bearerTokenAuthentication(token).putHeader("Idempotency-Key", key)
            .sendJsonObject(request));
        List<HttpResponse<Buffer>> created = answers.stream()
            .filter(r -> r.statusCode() == 201 && r.getHeader("Idempotent-Replayed") == null).toList();
        assertThat(created).as("exactly one first answer").hasSize(1);
        for (HttpResponse<Buffer> answer : answers) {
          if (answer.statusCode() == 201) {
            assertThat(answer.bodyAsJsonObject()).isEqualTo(created.get(0).bodyAsJsonObject());
          } else {
            assertProblem(answer, 409, "IDEMPOTENCY_IN_FLIGHT");
          }
        }
        assertThat(posted(credit)).isEqualTo(100L);
        assertThat(transfersOf(credit)).hasSize(1);
      }
    } finally {
      otherHttp.close();
      other.stop();
      otherVertx.close().await();
    }
  }

  /**
   * In flight is known through the database: while another session (a node mid-request) holds the
   * key's lock the key is refused with 409, and when that session dies nothing is left behind.
   */
  @Test
  void aKeyHeldByACrashedNodeIsFreeAgain() throws Exception {
    String debit = funded(1000);
    String credit = open(TELLER, "EUR");
    String key = key();
    long lockId = new IdempotencyRecords.Key("acme", key).lockId();
    try (java.sql.Connection otherNode = fincloud.node.DatabaseSettings.connect(node.pgUrl());
         java.sql.Statement statement = otherNode.createStatement()) {
      statement.execute("SELECT pg_advisory_lock(" + lockId + ")");
      assertProblem(transfer(TELLER, body(debit, credit, 100, "EUR"), key), 409, "IDEMPOTENCY_IN_FLIGHT");
      assertProblem(http.post(TELLER, "/v1/accounts", new JsonObject().put("currency", "EUR"), key), 409,
          "IDEMPOTENCY_IN_FLIGHT");
      assertThat(posted(credit)).isZero();
    }
    // The server ends a closed session (and frees its locks) a moment after the client hung up: a
    // client retrying on 409, as the in-flight answer asks, gets through within that moment.
    HttpResponse<Buffer> after = Eventually.until("the key freed by the closed session", Duration.ofSeconds(5),
        () -> transfer(TELLER, body(debit, credit, 100, "EUR"), key), r -> r.statusCode() != 409);
    assertThat(after.statusCode()).as(after.bodyAsString()).isEqualTo(201);
    assertThat(after.getHeader("Idempotent-Replayed")).isNull();
    assertThat(posted(credit)).isEqualTo(100L);
  }

  /**
   * A command that the database itself refuses (here through a constraint this test adds, standing
   * in for a bug) fails alone: the others of its group are retried one by one and go through.
   */
  @Test
  void aCommandTheDatabaseRefusesDoesNotFailItsGroup() throws Exception {
    try (java.sql.Connection connection = fincloud.node.DatabaseSettings.connect(node.pgUrl());
         java.sql.Statement statement = connection.createStatement()) {
      // on the amount: the reference reaches the database sealed, so no constraint can read it
      statement.execute("ALTER TABLE transfers ADD CONSTRAINT test_poison CHECK (amount <> 13)");
    }
    String debit = funded(100_000);
    String credit = open(TELLER, "EUR");
    String poisonKey = key();
    // A node that commits one group at a time, so that concurrent transfers queue and group up.
    Vertx otherVertx = Vertx.vertx();
    TestNode grouping = TestNode.start(otherVertx, new JsonObject().put("ledger", new JsonObject()
        .put("maxInFlightGroups", 1)), node.pgUrl());
    TestClient groupingHttp = grouping.client();
    List<HttpResponse<Buffer>> answers;
    try {
      String token = http.token(TELLER);
      answers = concurrently(24, i -> groupingHttp.web().post("/v1/transfers").bearerTokenAuthentication(token)
          .putHeader("Idempotency-Key", i == 12 ? poisonKey : key())
          .sendJsonObject(body(debit, credit, i == 12 ? 13 : 10, "EUR")));
    } finally {
      groupingHttp.close();
      grouping.stop();
      otherVertx.close().await();
    }
    for (int i = 0; i < answers.size(); i++) {
      if (i == 12) {
        assertProblem(answers.get(i), 503, "UNAVAILABLE");
      } else {
        assertThat(answers.get(i).statusCode()).as(answers.get(i).bodyAsString()).isEqualTo(201);
      }
    }
    assertThat(posted(credit)).isEqualTo(230L);
    assertThat(transfersOf(credit)).hasSize(23);
    // Nothing was kept for the failed key: a retry is decided afresh.
    assertProblem(transfer(TELLER, body(debit, credit, 13, "EUR"), poisonKey), 503,
        "UNAVAILABLE");
    assertThat(posted(credit)).isEqualTo(230L);
  }

  private static List<HttpResponse<Buffer>> concurrently(int n,
      java.util.function.IntFunction<Future<HttpResponse<Buffer>>> request) {
    http.token(TELLER);
    List<Future<HttpResponse<Buffer>>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      futures.add(request.apply(i));
    }
    Future.all(futures).await();
    return futures.stream().map(Future::result).toList();
  }
}
