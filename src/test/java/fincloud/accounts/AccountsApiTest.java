package fincloud.accounts;

import static fincloud.testkit.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Funds;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NodeExtension.class)
class AccountsApiTest {
  private static final String TELLER = "acme-teller";
  private static final String ADMIN = "acme-admin";
  private static final String AUDITOR = "acme-auditor";
  private static final String GLOBEX = "globex-teller";

  static TestNode node;
  static TestClient http;

  private static JsonObject open(String clientId, String currency) {
    return http.openAccount(clientId, new JsonObject().put("currency", currency));
  }

  private static JsonObject moved(String clientId, String debit, String credit, long amount, String currency) {
    HttpResponse<Buffer> response = http.transfer(clientId, debit, credit, amount, currency);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  private static JsonObject account(String id) {
    HttpResponse<Buffer> response = http.get(TELLER, "/v1/accounts/" + id);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> lifecycle(String clientId, String id, String action) {
    return http.post(clientId, "/v1/accounts/" + id + "/" + action, null);
  }

  @Test
  void opensAnAccountWithZeroBalances() {
    JsonObject account = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR").put("ownerRef", "cust-42"));
    assertThat(account.getString("id")).startsWith("acc_");
    assertThat(account.getString("tenant")).isEqualTo("acme");
    assertThat(account.getString("status")).isEqualTo("ACTIVE");
    assertThat(account.getJsonObject("balance")).isEqualTo(new JsonObject().put("posted", 0).put("pending", 0).put("available", 0));
    assertThat(http.get("acme-teller", "/v1/accounts/" + account.getString("id")).bodyAsJsonObject()).isEqualTo(account);
  }

  @Test
  void anotherTenantsAccountIsNotFound() {
    JsonObject account = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR"));
    var response = http.get("globex-teller", "/v1/accounts/" + account.getString("id"));
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("NOT_FOUND");
    assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
  }

  @Test
  void anotherTenantCanNeitherSeeNorChangeAnAccount() {
    String id = Funds.fundedAccount(http, TELLER, "EUR", 500);
    assertProblem(http.get(GLOBEX, "/v1/accounts/" + id + "/entries"), 404, "NOT_FOUND");
    for (String action : List.of("freeze", "close")) {
      assertProblem(lifecycle(GLOBEX, id, action), 404, "NOT_FOUND");
    }
    // unfreeze needs admin, which globex's teller lacks (the scope is checked first); another
    // tenant's admin gets 404 there too (AuthorizationMatrixTest)
    assertProblem(lifecycle(GLOBEX, id, "unfreeze"), 403, "FORBIDDEN");
    JsonArray globexList = http.get(GLOBEX, "/v1/accounts?limit=1000").bodyAsJsonObject().getJsonArray("items");
    assertThat(globexList.stream().map(o -> ((JsonObject) o).getString("tenant"))).allMatch("globex"::equals);
    assertThat(globexList.stream().map(o -> ((JsonObject) o).getString("id"))).doesNotContain(id);
    assertThat(account(id).getString("status")).isEqualTo("ACTIVE");
    assertThat(account(id).getJsonObject("balance").getLong("posted")).isEqualTo(500L);
  }

  @Test
  void anIdThatDoesNotExistIsNotFoundWhateverItsShape() {
    for (String id : List.of("acc_00000000000000000000000000", "nope", "trf_00000000000000000000000000", "1",
        "x".repeat(300))) {
      assertProblem(http.get(TELLER, "/v1/accounts/" + id), 404, "NOT_FOUND");
      assertProblem(http.get(TELLER, "/v1/accounts/" + id + "/entries"), 404, "NOT_FOUND");
      assertProblem(lifecycle(TELLER, id, "freeze"), 404, "NOT_FOUND");
    }
  }

  @Test
  void optionalFieldsHaveTheirDefaultsAndRoundTrip() {
    JsonObject plain = open(TELLER, "GBP");
    assertThat(plain.getLong("overdraftLimit")).isZero();
    assertThat(plain.getBoolean("allowNegative")).isFalse();
    assertThat(plain.getJsonObject("metadata")).isEqualTo(new JsonObject());
    assertThat(Instant.parse(plain.getString("createdAt"))).isBefore(Instant.now().plusSeconds(5));
    JsonObject metadata = new JsonObject().put("branch", "Z\u00fcrich").put("tags", new JsonArray().add("a").add(1))
        .put("nested", new JsonObject().put("deep", true));
    JsonObject full = http.openAccount(ADMIN, new JsonObject().put("currency", "GBP").put("overdraftLimit", 2500)
        .put("allowNegative", false).put("ownerRef", "cust-7").put("metadata", metadata));
    assertThat(full.getLong("overdraftLimit")).isEqualTo(2500L);
    assertThat(full.getString("ownerRef")).isEqualTo("cust-7");
    assertThat(full.getJsonObject("metadata")).isEqualTo(metadata);
    assertThat(account(full.getString("id"))).isEqualTo(full);
  }

  @Test
  void allowNegativeNeedsTheAdminScope() {
    JsonObject request = new JsonObject().put("currency", "EUR").put("allowNegative", true);
    assertProblem(http.post(TELLER, "/v1/accounts", request), 403, "FORBIDDEN");
    assertProblem(http.post(GLOBEX, "/v1/accounts", request), 403, "FORBIDDEN");
    JsonObject funding = http.openAccount(ADMIN, request);
    assertThat(funding.getBoolean("allowNegative")).isTrue();
    // An account with no lower bound can go as far below zero as it needs.
    String target = open(TELLER, "EUR").getString("id");
    moved(ADMIN, funding.getString("id"), target, 9_000_000_000_000L, "EUR");
    assertThat(account(funding.getString("id")).getJsonObject("balance").getLong("posted")).isEqualTo(-9_000_000_000_000L);
  }

  /** A teller could once open an account with unlimited credit and move a billion out of it. */
  @Test
  void creditNeedsTheAdminScope() {
    JsonObject request = new JsonObject().put("currency", "EUR").put("overdraftLimit", 9_007_199_254_740_991L);
    assertProblem(http.post(TELLER, "/v1/accounts", request), 403, "FORBIDDEN");
    assertProblem(http.post(GLOBEX, "/v1/accounts", request.copy().put("overdraftLimit", 1)), 403, "FORBIDDEN");
    assertThat(open(TELLER, "EUR").getLong("overdraftLimit")).as("no credit needs no admin").isZero();
    assertThat(http.post(TELLER, "/v1/accounts", new JsonObject().put("currency", "EUR").put("overdraftLimit", 0))
        .statusCode()).isEqualTo(201);
    assertThat(http.openAccount(ADMIN, request).getLong("overdraftLimit")).isEqualTo(9_007_199_254_740_991L);
  }

  @Test
  void unfreezingNeedsTheAdminScopeAndFreezingDoesNot() {
    String id = open(TELLER, "EUR").getString("id");
    assertThat(lifecycle(TELLER, id, "freeze").statusCode()).isEqualTo(200);
    assertProblem(lifecycle(TELLER, id, "unfreeze"), 403, "FORBIDDEN");
    assertProblem(lifecycle(AUDITOR, id, "unfreeze"), 403, "FORBIDDEN");
    assertThat(account(id).getString("status")).isEqualTo("FROZEN");
    assertThat(lifecycle(ADMIN, id, "unfreeze").bodyAsJsonObject().getString("status")).isEqualTo("ACTIVE");
  }

  @Test
  void metadataIsLimitedTo4KiB() {
    JsonObject fits = http.openAccount(TELLER, new JsonObject().put("currency", "EUR")
        .put("metadata", new JsonObject().put("note", "n".repeat(4000))));
    assertThat(fits.getJsonObject("metadata").getString("note")).hasSize(4000);
    HttpResponse<Buffer> tooBig = http.post(TELLER, "/v1/accounts", new JsonObject().put("currency", "EUR")
        .put("metadata", new JsonObject().put("note", "n".repeat(4200))));
    assertThat(assertProblem(tooBig, 400, "VALIDATION_FAILED").getString("field")).isEqualTo("metadata");
    HttpResponse<Buffer> manySmall = http.post(TELLER, "/v1/accounts", new JsonObject().put("currency", "EUR")
        .put("metadata", manyKeys(600)));
    assertThat(assertProblem(manySmall, 400, "VALIDATION_FAILED").getString("field")).isEqualTo("metadata");
  }

  private static JsonObject manyKeys(int count) {
    JsonObject object = new JsonObject();
    for (int i = 0; i < count; i++) {
      object.put("k" + i, i);
    }
    return object;
  }

  @Test
  void listsAccountsNewestFirstInPages() {
    List<String> opened = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      opened.add(0, open(TELLER, "SEK").getString("id"));
    }
    JsonObject all = http.get(TELLER, "/v1/accounts?limit=1000").bodyAsJsonObject();
    assertThat(all.getValue("nextCursor")).isNull();
    List<String> allIds = ids(all.getJsonArray("items"));
    assertThat(allIds.subList(0, 5)).as("the newest first").isEqualTo(opened);
    assertThat(allIds).isSortedAccordingTo((a, b) -> b.compareTo(a));
    assertThat(all.getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("tenant"))).allMatch("acme"::equals);

    List<String> paged = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = http.get(TELLER, "/v1/accounts?limit=2" + (cursor == null ? "" : "&cursor=" + cursor))
          .bodyAsJsonObject();
      assertThat(page.getJsonArray("items").size()).isBetween(1, 2);
      paged.addAll(ids(page.getJsonArray("items")));
      cursor = page.getString("nextCursor");
      pages++;
    } while (cursor != null && pages < 1000);
    assertThat(paged).isEqualTo(allIds);
    assertThat(pages).isEqualTo((allIds.size() + 1) / 2);

    JsonObject defaultPage = http.get(TELLER, "/v1/accounts").bodyAsJsonObject();
    assertThat(defaultPage.getJsonArray("items").size()).isEqualTo(Math.min(100, allIds.size()));
  }

  private static List<String> ids(JsonArray items) {
    return items.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }

  @Test
  void theStatementListsEntriesNewestFirstWithRunningBalances() {
    String a = open(TELLER, "EUR").getString("id");
    String b = open(TELLER, "EUR").getString("id");
    String funding = Funds.fundingAccount(http, "EUR");
    JsonObject t1 = moved(ADMIN, funding, a, 1000, "EUR");
    JsonObject t2 = moved(TELLER, a, b, 300, "EUR");
    JsonObject t3 = moved(TELLER, b, a, 50, "EUR");
    JsonObject t4 = moved(TELLER, a, b, 700, "EUR");
    assertProblem(http.transfer(TELLER, a, b, 51, "EUR"), 422, "INSUFFICIENT_FUNDS");

    JsonArray entries = http.get(AUDITOR, "/v1/accounts/" + a + "/entries").bodyAsJsonObject().getJsonArray("items");
    assertThat(entries).hasSize(4);
    assertEntry(entries.getJsonObject(0), t4, "DEBIT", 700, 50);
    assertEntry(entries.getJsonObject(1), t3, "CREDIT", 50, 750);
    assertEntry(entries.getJsonObject(2), t2, "DEBIT", 300, 700);
    assertEntry(entries.getJsonObject(3), t1, "CREDIT", 1000, 1000);
    assertThat(account(a).getJsonObject("balance").getLong("posted")).isEqualTo(50L);

    JsonArray ofB = http.get(TELLER, "/v1/accounts/" + b + "/entries").bodyAsJsonObject().getJsonArray("items");
    assertThat(ofB).hasSize(3);
    assertEntry(ofB.getJsonObject(0), t4, "CREDIT", 700, 950);
    assertEntry(ofB.getJsonObject(1), t3, "DEBIT", 50, 250);
    assertEntry(ofB.getJsonObject(2), t2, "CREDIT", 300, 300);

    JsonObject first = http.get(TELLER, "/v1/accounts/" + a + "/entries?limit=3").bodyAsJsonObject();
    assertThat(first.getJsonArray("items")).isEqualTo(new JsonArray(entries.getList().subList(0, 3)));
    String cursor = first.getString("nextCursor");
    assertThat(cursor).isNotNull();
    JsonObject second = http.get(TELLER, "/v1/accounts/" + a + "/entries?limit=3&cursor=" + cursor).bodyAsJsonObject();
    assertThat(second.getJsonArray("items")).isEqualTo(new JsonArray(entries.getList().subList(3, 4)));
    assertThat(second.getValue("nextCursor")).isNull();

    JsonArray none = http.get(TELLER, "/v1/accounts/" + open(TELLER, "EUR").getString("id") + "/entries")
        .bodyAsJsonObject().getJsonArray("items");
    assertThat(none).isEmpty();
  }

  @Test
  void aCursorOfAnotherListIsRefused() {
    String a = Funds.fundedAccount(http, TELLER, "EUR", 10);
    Funds.fundedAccount(http, TELLER, "EUR", 10);
    String accountsCursor = http.get(TELLER, "/v1/accounts?limit=1").bodyAsJsonObject().getString("nextCursor");
    assertThat(accountsCursor).isNotNull();
    assertProblem(http.get(TELLER, "/v1/accounts/" + a + "/entries?cursor=" + accountsCursor), 400,
        "VALIDATION_FAILED");
    String beyondLong = fincloud.shared.Page.encodeCursor("9999999999999999999");
    assertProblem(http.get(TELLER, "/v1/accounts/" + a + "/entries?cursor=" + beyondLong), 400, "VALIDATION_FAILED");
  }

  private static void assertEntry(JsonObject entry, JsonObject transfer, String side, long amount, long balanceAfter) {
    assertThat(entry.getString("transferId")).isEqualTo(transfer.getString("id"));
    assertThat(entry.getString("side")).isEqualTo(side);
    assertThat(entry.getLong("amount")).isEqualTo(amount);
    assertThat(entry.getLong("balanceAfter")).isEqualTo(balanceAfter);
    assertThat(entry.getString("postedAt")).isEqualTo(transfer.getString("postedAt"));
  }

  @Test
  void freezeUnfreezeAndCloseFollowTheLifecycle() {
    String a = Funds.fundedAccount(http, TELLER, "EUR", 100);
    String b = open(TELLER, "EUR").getString("id");

    HttpResponse<Buffer> frozen = lifecycle(TELLER, a, "freeze");
    assertThat(frozen.statusCode()).isEqualTo(200);
    assertThat(frozen.bodyAsJsonObject().getString("status")).isEqualTo("FROZEN");
    HttpResponse<Buffer> again = lifecycle(TELLER, a, "freeze");
    assertThat(again.statusCode()).as("freezing a frozen account changes nothing").isEqualTo(200);
    assertThat(again.bodyAsJsonObject()).isEqualTo(frozen.bodyAsJsonObject());

    assertProblem(http.transfer(TELLER, a, b, 10, "EUR"), 422, "ACCOUNT_NOT_ACTIVE");
    String other = Funds.fundedAccount(http, TELLER, "EUR", 10);
    assertProblem(http.transfer(TELLER, other, a, 10, "EUR"), 422, "ACCOUNT_NOT_ACTIVE");
    assertThat(account(a).getJsonObject("balance").getLong("posted")).isEqualTo(100L);

    assertProblem(lifecycle(TELLER, a, "unfreeze"), 403, "FORBIDDEN");
    HttpResponse<Buffer> active = lifecycle(ADMIN, a, "unfreeze");
    assertThat(active.statusCode()).isEqualTo(200);
    assertThat(active.bodyAsJsonObject().getString("status")).isEqualTo("ACTIVE");
    assertThat(lifecycle(ADMIN, a, "unfreeze").statusCode()).as("unfreezing an active account").isEqualTo(200);
    assertThat(account(a).getString("status")).isEqualTo("ACTIVE");
    moved(TELLER, a, b, 100, "EUR");

    assertProblem(lifecycle(TELLER, b, "close"), 422, "BALANCE_NOT_ZERO");
    assertThat(account(b).getString("status")).isEqualTo("ACTIVE");
    HttpResponse<Buffer> closed = lifecycle(TELLER, a, "close");
    assertThat(closed.statusCode()).isEqualTo(200);
    assertThat(closed.bodyAsJsonObject().getString("status")).isEqualTo("CLOSED");
    assertProblem(lifecycle(TELLER, a, "freeze"), 409, "INVALID_STATE");
    assertProblem(lifecycle(ADMIN, a, "unfreeze"), 409, "INVALID_STATE");
    assertThat(lifecycle(TELLER, a, "close").statusCode()).as("closing a closed account").isEqualTo(200);
    assertThat(account(a).getString("status")).isEqualTo("CLOSED");
    assertProblem(http.transfer(TELLER, b, a, 10, "EUR"), 422, "ACCOUNT_NOT_ACTIVE");
    assertThat(account(b).getJsonObject("balance").getLong("posted")).isEqualTo(100L);
  }

  @Test
  void aFrozenAccountWithNothingInItCanBeClosed() {
    String a = open(TELLER, "EUR").getString("id");
    assertThat(lifecycle(TELLER, a, "freeze").statusCode()).isEqualTo(200);
    HttpResponse<Buffer> closed = lifecycle(TELLER, a, "close");
    assertThat(closed.statusCode()).isEqualTo(200);
    assertThat(closed.bodyAsJsonObject().getString("status")).isEqualTo("CLOSED");
  }

  @Test
  void anAccountBelowZeroCannotBeClosed() {
    String overdrawn = http.openAccount(ADMIN, new JsonObject().put("currency", "EUR").put("overdraftLimit", 500))
        .getString("id");
    String other = open(TELLER, "EUR").getString("id");
    moved(TELLER, overdrawn, other, 200, "EUR");
    assertProblem(lifecycle(TELLER, overdrawn, "close"), 422, "BALANCE_NOT_ZERO");
    assertThat(account(overdrawn).getString("status")).isEqualTo("ACTIVE");
  }

  @Test
  void openingWithAnIdempotencyKeyOpensOnce() {
    String key = "open-" + UUID.randomUUID();
    String owner = "idem-" + UUID.randomUUID();
    HttpResponse<Buffer> first = http.post(TELLER, "/v1/accounts",
        new JsonObject().put("currency", "EUR").put("ownerRef", owner), key);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.getHeader("Idempotent-Replayed")).isNull();
    HttpResponse<Buffer> replay = http.web().post("/v1/accounts").bearerTokenAuthentication(http.token(TELLER))
        .putHeader("Idempotency-Key", key).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{ \"ownerRef\" : \"" + owner + "\",\n \"currency\": \"EUR\" }")).await();
    assertThat(replay.statusCode()).isEqualTo(201);
    assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.bodyAsJsonObject()).isEqualTo(first.bodyAsJsonObject());
    assertProblem(http.post(TELLER, "/v1/accounts", new JsonObject().put("currency", "USD").put("ownerRef", owner), key),
        422, "IDEMPOTENCY_KEY_REUSED");
    // Keys are per tenant: globex's same key is its own request.
    HttpResponse<Buffer> globex = http.post(GLOBEX, "/v1/accounts",
        new JsonObject().put("currency", "EUR").put("ownerRef", owner), key);
    assertThat(globex.statusCode()).isEqualTo(201);
    assertThat(globex.getHeader("Idempotent-Replayed")).isNull();
    assertThat(globex.bodyAsJsonObject().getString("tenant")).isEqualTo("globex");

    long withOwner = http.get(TELLER, "/v1/accounts?limit=1000").bodyAsJsonObject().getJsonArray("items").stream()
        .filter(o -> owner.equals(((JsonObject) o).getString("ownerRef"))).count();
    assertThat(withOwner).isEqualTo(1);
  }

  @Test
  void lifecycleChangesReplayUnderTheirKey() {
    String a = Funds.fundedAccount(http, TELLER, "EUR", 5);
    String key = "close-" + UUID.randomUUID();
    HttpResponse<Buffer> refused = http.post(TELLER, "/v1/accounts/" + a + "/close", null, key);
    JsonObject problem = assertProblem(refused, 422, "BALANCE_NOT_ZERO");
    HttpResponse<Buffer> replay = http.post(TELLER, "/v1/accounts/" + a + "/close", null, key);
    assertThat(replay.statusCode()).isEqualTo(422);
    assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.bodyAsJsonObject()).isEqualTo(problem);
    // The same key on another route is another request: a reuse.
    assertProblem(http.post(TELLER, "/v1/accounts/" + a + "/freeze", null, key), 422, "IDEMPOTENCY_KEY_REUSED");
    assertThat(account(a).getString("status")).isEqualTo("ACTIVE");
  }

  @Test
  void changesAndRefusalsAreAuditedInTheirTransaction() {
    HttpResponse<Buffer> opened = http.web().post("/v1/accounts").bearerTokenAuthentication(http.token(TELLER))
        .putHeader("X-Request-Id", "audit-open-1").sendJsonObject(new JsonObject().put("currency", "EUR")).await();
    String id = opened.bodyAsJsonObject().getString("id");
    Funds.fund(http, id, "EUR", 10);
    assertThat(lifecycle(TELLER, id, "freeze").statusCode()).isEqualTo(200);
    assertThat(lifecycle(TELLER, id, "freeze").statusCode()).isEqualTo(200);
    assertProblem(lifecycle(TELLER, id, "close"), 422, "BALANCE_NOT_ZERO");
    assertThat(lifecycle(ADMIN, id, "unfreeze").statusCode()).isEqualTo(200);
    String empty = open(TELLER, "EUR").getString("id");
    assertThat(lifecycle(TELLER, empty, "close").statusCode()).isEqualTo(200);
    assertProblem(lifecycle(TELLER, empty, "freeze"), 409, "INVALID_STATE");
    assertProblem(lifecycle(GLOBEX, id, "freeze"), 404, "NOT_FOUND");

    List<Map<String, Object>> rows = TestSql.rows(node.pgUrl(), "SELECT tenant, actor, action, success, origin,"
        + " request_id, data::text AS data FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE entity_type = 'account' AND entity_id = ?"
        + " AND action LIKE 'ACCOUNT_%' ORDER BY id", id);
    assertThat(rows.stream().map(r -> r.get("action") + "/" + r.get("success") + "/" + r.get("tenant")))
        .containsExactly("ACCOUNT_OPENED/true/acme", "ACCOUNT_FROZEN/true/acme", "ACCOUNT_CLOSED/false/acme",
            "ACCOUNT_UNFROZEN/true/acme", "ACCOUNT_FROZEN/false/globex");
    assertThat(rows.get(0)).containsEntry("actor", TELLER).containsEntry("request_id", "audit-open-1");
    assertThat((String) rows.get(0).get("origin")).isNotBlank();
    assertThat(new JsonObject((String) rows.get(0).get("data")).getString("currency")).isEqualTo("EUR");
    assertThat(new JsonObject((String) rows.get(2).get("data")).getString("code")).isEqualTo("BALANCE_NOT_ZERO");
    assertThat(rows.get(4)).containsEntry("actor", GLOBEX);
    assertThat(TestSql.rows(node.pgUrl(), "SELECT action, success FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE entity_id = ?"
        + " AND action LIKE 'ACCOUNT_%' ORDER BY id", empty).stream().map(r -> r.get("action") + "/" + r.get("success")))
        .containsExactly("ACCOUNT_OPENED/true", "ACCOUNT_CLOSED/true", "ACCOUNT_FROZEN/false");
  }

  @Test
  void theTrialBalanceSumsToZeroWithTwoEntriesPerPostedTransfer() {
    JsonObject before = trialBalance(AUDITOR);
    assertThat(line(before, "CHF")).as("no CHF yet").isNull();
    String x = open(TELLER, "CHF").getString("id");
    String y = open(TELLER, "CHF").getString("id");
    Funds.fund(http, x, "CHF", 1000);
    moved(TELLER, x, y, 250, "CHF");
    moved(TELLER, y, x, 50, "CHF");
    assertProblem(http.transfer(TELLER, y, x, 1000, "CHF"), 422, "INSUFFICIENT_FUNDS");
    open(TELLER, "CHF");

    JsonObject after = trialBalance(ADMIN);
    assertThat(Instant.parse(after.getString("asOf"))).isAfter(Instant.parse(before.getString("asOf")));
    assertThat(line(after, "CHF")).isEqualTo(new JsonObject().put("currency", "CHF").put("accounts", 4)
        .put("sumPosted", 0).put("sumPending", 0).put("postedTransfers", 3).put("entries", 6));
    for (Object o : after.getJsonArray("currencies")) {
      JsonObject currency = (JsonObject) o;
      assertThat(currency.getLong("sumPosted")).as(currency.encode()).isZero();
      assertThat(currency.getLong("entries")).as(currency.encode()).isEqualTo(2 * currency.getLong("postedTransfers"));
    }
  }

  private static JsonObject trialBalance(String clientId) {
    HttpResponse<Buffer> response = http.get(clientId, "/v1/ledger/trial-balance");
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static JsonObject line(JsonObject trialBalance, String currency) {
    return trialBalance.getJsonArray("currencies").stream().map(o -> (JsonObject) o)
        .filter(l -> l.getString("currency").equals(currency)).findFirst().orElse(null);
  }
}
