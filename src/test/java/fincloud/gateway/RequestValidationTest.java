package fincloud.gateway;

import static fincloud.testkit.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Funds;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** docs/contract.md, Conventions: strict input, the exact 400/404/405/413/415, and X-Request-Id everywhere. */
@ExtendWith(NodeExtension.class)
class RequestValidationTest {
  private static final String TELLER = "acme-teller";
  private static final String JSON = "application/json";
  private static final String UUID_SHAPE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  static TestNode node;
  static TestClient http;
  static String eur1;
  static String eur2;

  /** Fresh accounts for each test, so that "nothing moved" is about that test's requests only. */
  @BeforeEach
  void openAccounts() {
    eur1 = Funds.fundedAccount(http, TELLER, "EUR", 10_000);
    eur2 = Funds.fundedAccount(http, TELLER, "EUR", 0);
  }

  private static HttpResponse<Buffer> send(HttpMethod method, String path, String clientId, String contentType,
      String body, String idempotencyKey, String requestId) {
    HttpRequest<Buffer> request = http.web().request(method, path);
    if (clientId != null) {
      request.bearerTokenAuthentication(http.token(clientId));
    }
    if (contentType != null) {
      request.putHeader("Content-Type", contentType);
    }
    if (idempotencyKey != null) {
      request.putHeader("Idempotency-Key", idempotencyKey);
    }
    if (requestId != null) {
      request.putHeader("X-Request-Id", requestId);
    }
    return (body == null ? request.send() : request.sendBuffer(Buffer.buffer(body))).await();
  }

  private static HttpResponse<Buffer> postJson(String path, String body) {
    return send(HttpMethod.POST, path, TELLER, JSON, body, path.equals("/v1/transfers") ? key() : null, null);
  }

  private static String key() {
    return UUID.randomUUID().toString();
  }

  /** A transfer body between the two funded accounts with {@code amount} written as given. */
  private static String transferWithAmount(String amountText) {
    return "{\"debitAccountId\":\"" + eur1 + "\",\"creditAccountId\":\"" + eur2 + "\",\"amount\":" + amountText
        + ",\"currency\":\"EUR\"}";
  }

  private static void assertInvalidField(HttpResponse<Buffer> response, String field) {
    JsonObject problem = assertProblem(response, 400, "VALIDATION_FAILED");
    assertThat(problem.getString("field")).as("field of %s", problem).isEqualTo(field);
  }

  @Test
  void unknownFieldsAreRefusedByName() {
    assertInvalidField(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"tenant\":\"globex\"}"), "tenant");
    assertInvalidField(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"balance\":{\"posted\":100}}"), "balance");
    JsonObject transfer = new JsonObject(transferWithAmount("5")).put("status", "POSTED");
    assertInvalidField(postJson("/v1/transfers", transfer.encode()), "status");
    assertInvalidField(postJson("/v1/accounts/" + eur2 + "/freeze", "{\"reason\":\"x\"}"), "reason");
    assertThat(Funds.posted(http, TELLER, eur2)).as("nothing moved").isZero();
  }

  @Test
  void amountsMustBeJsonIntegersInRange() {
    for (String amount : List.of("0", "-0", "-1", "1.5", "1.0", "1e3", "1E3", "\"100\"", "9007199254740992",
        "1234567890123456789012345678901234567890", "1e400", "null", "true", "[1]", "{}")) {
      assertInvalidField(postJson("/v1/transfers", transferWithAmount(amount)), "amount");
    }
    assertThat(Funds.posted(http, TELLER, eur2)).as("nothing moved").isZero();
    // The bounds themselves pass validation: the largest safe integer is refused only for the balance.
    assertProblem(postJson("/v1/transfers", transferWithAmount("9007199254740991")), 422, "INSUFFICIENT_FUNDS");
    assertThat(postJson("/v1/transfers", transferWithAmount("1")).statusCode()).isEqualTo(201);
  }

  @Test
  void currenciesAreUpperCaseIso4217Codes() {
    for (String currency : List.of("\"eur\"", "\"QQQ\"", "\"EURO\"", "\"\"", "978", "null")) {
      assertInvalidField(postJson("/v1/accounts", "{\"currency\":" + currency + "}"), "currency");
      String transfer = transferWithAmount("5").replace("\"EUR\"", currency);
      assertInvalidField(postJson("/v1/transfers", transfer), "currency");
    }
    assertThat(postJson("/v1/accounts", "{\"currency\":\"JPY\"}").statusCode()).isEqualTo(201);
  }

  @Test
  void theBodyMustBeExactlyOneJsonObject() {
    for (String body : List.of("[]", "[{\"currency\":\"EUR\"}]", "\"x\"", "42", "null", "", "{\"currency\":",
        "{currency: \"EUR\"}", "{\"currency\":\"EUR\"} {}", "{\"currency\":\"EUR\",\"currency\":\"USD\"}")) {
      assertProblem(postJson("/v1/accounts", body), 400, "VALIDATION_FAILED");
    }
    String duplicateAmount = transferWithAmount("5").replace("\"amount\":5", "\"amount\":5,\"amount\":6");
    assertProblem(postJson("/v1/transfers", duplicateAmount), 400, "VALIDATION_FAILED");
  }

  @Test
  void requiredFieldsAndFieldBoundsAreChecked() {
    assertThat(assertProblem(postJson("/v1/accounts", "{}"), 400, "VALIDATION_FAILED").getString("detail"))
        .contains("currency");
    assertProblem(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"overdraftLimit\":-1}"), 400, "VALIDATION_FAILED");
    assertProblem(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"overdraftLimit\":1.5}"), 400, "VALIDATION_FAILED");
    assertProblem(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"metadata\":[]}"), 400, "VALIDATION_FAILED");
    assertProblem(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"ownerRef\":\"" + "x".repeat(141) + "\"}"),
        400, "VALIDATION_FAILED");
    JsonObject transfer = new JsonObject(transferWithAmount("5"));
    transfer.remove("creditAccountId");
    assertProblem(postJson("/v1/transfers", transfer.encode()), 400, "VALIDATION_FAILED");
    assertProblem(postJson("/v1/transfers", new JsonObject(transferWithAmount("5")).put("mode", "LATER").encode()),
        400, "VALIDATION_FAILED");
    assertProblem(postJson("/v1/transfers", new JsonObject(transferWithAmount("5")).put("reference", "r".repeat(141))
        .encode()), 400, "VALIDATION_FAILED");
    assertProblem(postJson("/v1/transfers", new JsonObject(transferWithAmount("5")).put("expiresInSeconds", 0)
        .encode()), 400, "VALIDATION_FAILED");
    assertThat(Funds.posted(http, TELLER, eur2)).as("nothing moved").isZero();
  }

  /** Strings PostgreSQL cannot store as sent (U+0000, unpaired surrogates) are the client's mistake, not a 5xx. */
  @Test
  void stringsPostgresCannotStoreAreRefused() {
    assertProblem(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"ownerRef\":\"a\\u0000b\"}"), 400,
        "VALIDATION_FAILED");
    assertProblem(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"metadata\":{\"k\\u0000\":1}}"), 400,
        "VALIDATION_FAILED");
    String transfer = transferWithAmount("5");
    assertProblem(postJson("/v1/transfers", transfer.replace("}", ",\"reference\":\"r\\u0000\"}")), 400,
        "VALIDATION_FAILED");
    assertProblem(postJson("/v1/transfers", transfer.replace("}", ",\"metadata\":{\"k\":[\"\\u0000\"]}}")), 400,
        "VALIDATION_FAILED");
    assertThat(Funds.posted(http, TELLER, eur2)).as("nothing moved").isZero();
    // Nor can a lone half of a surrogate pair, which is no character at all.
    assertProblem(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"ownerRef\":\"x\\ud800y\"}"), 400,
        "VALIDATION_FAILED");
    assertProblem(postJson("/v1/accounts", "{\"currency\":\"EUR\",\"metadata\":{\"k\":\"\\udc00\"}}"), 400,
        "VALIDATION_FAILED");
    assertProblem(postJson("/v1/transfers", transfer.replace("}", ",\"reference\":\"r\\ud800\"}")), 400,
        "VALIDATION_FAILED");
    assertThat(Funds.posted(http, TELLER, eur2)).as("nothing moved").isZero();
    // Other control characters and any Unicode, escaped or not, are kept as sent.
    String owner = "tab\t \u00e9\u4e2d\ud83d\ude00\ud83d\ude00";
    HttpResponse<Buffer> fine = postJson("/v1/accounts",
        "{\"currency\":\"EUR\",\"ownerRef\":\"tab\\t \u00e9\u4e2d\ud83d\ude00\\ud83d\\ude00\"}");
    assertThat(fine.statusCode()).isEqualTo(201);
    assertThat(fine.bodyAsJsonObject().getString("ownerRef")).isEqualTo(owner);
    String id = fine.bodyAsJsonObject().getString("id");
    assertThat(http.get(TELLER, "/v1/accounts/" + id).bodyAsJsonObject().getString("ownerRef")).isEqualTo(owner);
  }

  @Test
  void theNulCharacterInAPathOrQueryIsNoServerError() {
    assertProblem(send(HttpMethod.GET, "/v1/accounts/acc_a%00b", TELLER, null, null, null, null), 404, "NOT_FOUND");
    assertProblem(send(HttpMethod.GET, "/v1/accounts/acc_a%00b/entries", TELLER, null, null, null, null), 404,
        "NOT_FOUND");
    assertProblem(send(HttpMethod.POST, "/v1/accounts/acc_a%00b/freeze", TELLER, null, null, null, null), 404,
        "NOT_FOUND");
    assertProblem(send(HttpMethod.GET, "/v1/transfers/trf_a%00b", TELLER, null, null, null, null), 404, "NOT_FOUND");
    assertProblem(send(HttpMethod.GET, "/v1/transfers?accountId=acc_a%00b", TELLER, null, null, null, null), 400,
        "VALIDATION_FAILED");
  }

  @Test
  void bodiesOver64KiBAre413() {
    String big = "{\"currency\":\"EUR\",\"ownerRef\":\"" + "x".repeat(70 * 1024) + "\"}";
    assertProblem(postJson("/v1/accounts", big), 413, "PAYLOAD_TOO_LARGE");
    String bigTransfer = new JsonObject(transferWithAmount("5")).put("reference", "r".repeat(70 * 1024)).encode();
    assertProblem(postJson("/v1/transfers", bigTransfer), 413, "PAYLOAD_TOO_LARGE");
    // The batch route takes up to 1 MiB: the same size is read and validated there (amount 0 is refused).
    JsonArray items = new JsonArray();
    while (items.encode().length() < 70 * 1024) {
      items.add(new JsonObject(transferWithAmount("0")));
    }
    HttpResponse<Buffer> batch = send(HttpMethod.POST, "/v1/transfers/batch", TELLER, JSON,
        new JsonObject().put("transfers", items).encode(), key(), null);
    assertProblem(batch, 400, "VALIDATION_FAILED");
  }

  @Test
  void aBodyThatIsNotJsonIs415() {
    assertProblem(send(HttpMethod.POST, "/v1/accounts", TELLER, "text/plain", "{\"currency\":\"EUR\"}", null, null),
        415, "UNSUPPORTED_MEDIA_TYPE");
    assertProblem(send(HttpMethod.POST, "/v1/accounts", TELLER, "application/x-www-form-urlencoded", "currency=EUR",
        null, null), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertProblem(send(HttpMethod.POST, "/v1/transfers", TELLER, "text/plain", transferWithAmount("5"), key(), null),
        415, "UNSUPPORTED_MEDIA_TYPE");
    assertThat(send(HttpMethod.POST, "/v1/accounts", TELLER, "application/json; charset=utf-8",
        "{\"currency\":\"EUR\"}", null, null).statusCode()).isEqualTo(201);
  }

  @Test
  void unknownRoutesAre404AndWrongMethods405() {
    assertProblem(send(HttpMethod.GET, "/v1/nothing-here", TELLER, null, null, null, null), 404, "NOT_FOUND");
    assertProblem(send(HttpMethod.GET, "/nothing-here", null, null, null, null, null), 404, "NOT_FOUND");
    assertProblem(send(HttpMethod.POST, "/v1/accounts/" + eur1 + "/explode", TELLER, JSON, "{}", null, null),
        404, "NOT_FOUND");
    HttpResponse<Buffer> onList = send(HttpMethod.DELETE, "/v1/accounts", TELLER, null, null, null, null);
    assertProblem(onList, 405, "METHOD_NOT_ALLOWED");
    assertThat(onList.getHeader("Allow")).isEqualTo("GET, POST");
    HttpResponse<Buffer> onOne = send(HttpMethod.DELETE, "/v1/accounts/" + eur1, TELLER, null, null, null, null);
    assertProblem(onOne, 405, "METHOD_NOT_ALLOWED");
    assertThat(onOne.getHeader("Allow")).isEqualTo("GET");
    assertThat(send(HttpMethod.DELETE, "/v1/risk/rules", TELLER, null, null, null, null).getHeader("Allow"))
        .isEqualTo("GET, PUT");
    assertProblem(send(HttpMethod.PUT, "/v1/transfers", TELLER, JSON, transferWithAmount("5"), key(), null),
        405, "METHOD_NOT_ALLOWED");
    assertProblem(send(HttpMethod.GET, "/v1/accounts/" + eur1 + "/freeze", TELLER, null, null, null, null),
        405, "METHOD_NOT_ALLOWED");
  }

  @Test
  void idempotencyKeyIsRequiredAndWellFormedOnTransfers() {
    JsonObject missing = assertProblem(send(HttpMethod.POST, "/v1/transfers", TELLER, JSON, transferWithAmount("5"),
        null, null), 400, "VALIDATION_FAILED");
    assertThat(missing.getString("field")).isEqualTo("Idempotency-Key");
    for (String bad : List.of("", "has space", "k".repeat(129), "semi;colon", "slash/no", "caf\u00e9")) {
      HttpResponse<Buffer> response = send(HttpMethod.POST, "/v1/transfers", TELLER, JSON, transferWithAmount("5"),
          bad, null);
      assertThat(assertProblem(response, 400, "VALIDATION_FAILED").getString("field")).as("key '%s'", bad)
          .isEqualTo("Idempotency-Key");
    }
    // On routes where it is optional, a malformed key is still refused.
    assertProblem(send(HttpMethod.POST, "/v1/accounts", TELLER, JSON, "{\"currency\":\"EUR\"}", "has space", null),
        400, "VALIDATION_FAILED");
    assertThat(Funds.posted(http, TELLER, eur2)).as("nothing moved").isZero();
    String longest = "Az09._:-" + "k".repeat(120);
    assertThat(send(HttpMethod.POST, "/v1/transfers", TELLER, JSON, transferWithAmount("1"), longest, null)
        .statusCode()).isEqualTo(201);
  }

  @Test
  void pagingParametersAreChecked() {
    for (String query : List.of("limit=0", "limit=1001", "limit=abc", "limit=-1", "limit=1.5", "cursor=garbage",
        "cursor=")) {
      assertThat(assertProblem(send(HttpMethod.GET, "/v1/accounts?" + query, TELLER, null, null, null, null),
          400, "VALIDATION_FAILED").getString("field")).as(query).isIn("limit", "cursor");
    }
    assertThat(send(HttpMethod.GET, "/v1/accounts?limit=1000", TELLER, null, null, null, null).statusCode())
        .isEqualTo(200);
  }

  @Test
  void theTokenIsCheckedBeforeTheScopeAndTheScopeBeforeTheBody() {
    assertProblem(send(HttpMethod.POST, "/v1/accounts", null, JSON, "[]", null, null), 401, "UNAUTHENTICATED");
    assertProblem(send(HttpMethod.POST, "/v1/accounts", "acme-auditor", JSON, "[]", null, null), 403, "FORBIDDEN");
    assertProblem(send(HttpMethod.POST, "/v1/transfers", "acme-auditor", "text/plain", "x", null, null),
        403, "FORBIDDEN");
  }

  @Test
  void theRequestIdIsEchoedWhenGiven() {
    List<HttpResponse<Buffer>> answers = List.of(
        send(HttpMethod.GET, "/v1/accounts/" + eur1, TELLER, null, null, null, "req-ok-1"),
        send(HttpMethod.GET, "/v1/accounts", null, null, null, null, "req-401"),
        send(HttpMethod.GET, "/v1/ledger/trial-balance", TELLER, null, null, null, "req-403"),
        send(HttpMethod.POST, "/v1/accounts", TELLER, JSON, "{\"currency\":\"usd\"}", null, "req-400"),
        send(HttpMethod.GET, "/v1/accounts/acc_nothing", TELLER, null, null, null, "req-404"),
        send(HttpMethod.GET, "/v1/nowhere", TELLER, null, null, null, "req-404-route"),
        send(HttpMethod.DELETE, "/v1/accounts", TELLER, null, null, null, "req-405"),
        send(HttpMethod.POST, "/v1/accounts", TELLER, JSON, "{\"ownerRef\":\"" + "x".repeat(70_000) + "\"}", null,
            "req-413"),
        send(HttpMethod.POST, "/v1/accounts", TELLER, "text/plain", "x", null, "req-415"),
        send(HttpMethod.GET, "/health/live", null, null, null, null, "req-live"));
    List<String> expected = List.of("req-ok-1", "req-401", "req-403", "req-400", "req-404", "req-404-route",
        "req-405", "req-413", "req-415", "req-live");
    for (int i = 0; i < answers.size(); i++) {
      HttpResponse<Buffer> response = answers.get(i);
      assertThat(response.getHeader("X-Request-Id")).as("answer %s (%s)", i, response.statusCode())
          .isEqualTo(expected.get(i));
      if (response.statusCode() >= 400) {
        assertThat(response.bodyAsJsonObject().getString("requestId")).isEqualTo(expected.get(i));
      }
    }
  }

  @Test
  void aRequestIdIsGeneratedWhenMissingOrUnusable() {
    List<HttpResponse<Buffer>> answers = List.of(
        send(HttpMethod.GET, "/v1/accounts/" + eur1, TELLER, null, null, null, null),
        send(HttpMethod.GET, "/v1/accounts", null, null, null, null, null),
        send(HttpMethod.POST, "/v1/accounts", TELLER, JSON, "[]", null, null),
        send(HttpMethod.GET, "/v1/nowhere", TELLER, null, null, null, null),
        send(HttpMethod.DELETE, "/v1/accounts", TELLER, null, null, null, null),
        send(HttpMethod.POST, "/v1/accounts", TELLER, "text/plain", "x", null, null),
        send(HttpMethod.GET, "/v1/accounts/" + eur1, TELLER, null, null, null, "has spaces in it"),
        send(HttpMethod.GET, "/v1/accounts/" + eur1, TELLER, null, null, null, "x".repeat(500)));
    for (HttpResponse<Buffer> response : answers) {
      String id = response.getHeader("X-Request-Id");
      assertThat(id).as("answer %s", response.statusCode()).matches(UUID_SHAPE);
      if (response.statusCode() >= 400) {
        assertThat(response.bodyAsJsonObject().getString("requestId")).isEqualTo(id);
      }
    }
    assertThat(answers.get(0).getHeader("X-Request-Id")).isNotEqualTo(answers.get(6).getHeader("X-Request-Id"));
  }
}
