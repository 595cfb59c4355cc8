package fincloud.payments;

import fincloud.testkit.TestSql;
import static fincloud.payments.LedgerFixture.TELLER;
import static fincloud.payments.LedgerFixture.created;
import static fincloud.payments.LedgerFixture.holdRequest;
import static fincloud.payments.LedgerFixture.key;
import static fincloud.payments.LedgerFixture.ok;
import static fincloud.payments.LedgerFixture.problem;
import static fincloud.payments.LedgerFixture.transferRequest;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two-phase transfers over HTTP: holds, full and partial posts, voids, and their refusals. */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class HoldsApiTest {
  static TestNode node;
  static TestClient http;
  static LedgerFixture ledger;

  /** Its own node: it reads the trial balance of a whole currency. */
  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx);
  }

  @BeforeAll
  static void prepare() {
    ledger = new LedgerFixture(http, node.pgUrl());
  }

  @Test
  void aHoldGrowsPendingAndShrinksAvailableAndPostsNothing() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");

    JsonObject hold = ledger.hold(payer, payee, 300, "USD");

    assertThat(hold.getString("mode")).isEqualTo("PENDING");
    assertThat(hold.getValue("postedAmount")).isNull();
    assertThat(hold.getValue("postedAt")).isNull();
    assertThat(hold.getValue("voidReason")).isNull();
    assertThat(Duration.between(Instant.parse(hold.getString("createdAt")), Instant.parse(hold.getString("expiresAt"))))
        .isEqualTo(Duration.ofHours(1));
    ledger.assertBalance(payer, 1000, 300);
    ledger.assertBalance(payee, 0, 0);
    assertThat(ledger.count("SELECT count(*) FROM entries WHERE transfer_id = ?", hold.getString("id"))).isZero();
    assertThat(ledger.outboxRows("TRANSFER_PENDING", hold.getString("id"))).isEqualTo(1);
    assertThat(ledger.transferById(hold.getString("id"))).isEqualTo(hold);
  }

  @Test
  void postWithoutAnAmountPostsAllOfIt() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 300, "USD");

    JsonObject posted = ok(ledger.post(hold.getString("id"), null, key()));

    assertThat(posted.getString("status")).isEqualTo("POSTED");
    assertThat(posted.getLong("amount")).isEqualTo(300);
    assertThat(posted.getLong("postedAmount")).isEqualTo(300);
    assertThat(posted.getString("postedAt")).isNotNull();
    ledger.assertBalance(payer, 700, 0);
    ledger.assertBalance(payee, 300, 0);
    assertThat(ledger.transferById(hold.getString("id"))).isEqualTo(posted);
    JsonObject entry = http.get(TELLER, "/v1/accounts/" + payee + "/entries").bodyAsJsonObject()
        .getJsonArray("items").getJsonObject(0);
    assertThat(entry.getString("transferId")).isEqualTo(hold.getString("id"));
    assertThat(entry.getString("side")).isEqualTo("CREDIT");
    assertThat(entry.getLong("amount")).isEqualTo(300);
    assertThat(entry.getLong("balanceAfter")).isEqualTo(300);
    assertThat(ledger.outboxRows("TRANSFER_POSTED", hold.getString("id"))).isEqualTo(1);
  }

  @Test
  void postWithAnEmptyObjectPostsAllOfIt() {
    String payer = ledger.funded("USD", 500);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 500, "USD");

    assertThat(ok(ledger.post(hold.getString("id"), new JsonObject(), key())).getLong("postedAmount")).isEqualTo(500);
    ledger.assertBalance(payer, 0, 0);
    ledger.assertBalance(payee, 500, 0);
  }

  @Test
  void aPartialPostPostsThatAmountAndReleasesTheRest() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 300, "USD");

    JsonObject posted = ok(ledger.post(hold.getString("id"), new JsonObject().put("amount", 120), key()));

    assertThat(posted.getString("status")).isEqualTo("POSTED");
    assertThat(posted.getLong("amount")).isEqualTo(300);
    assertThat(posted.getLong("postedAmount")).isEqualTo(120);
    ledger.assertBalance(payer, 880, 0);
    ledger.assertBalance(payee, 120, 0);
    assertThat(ledger.count("SELECT coalesce(sum(amount), 0) FROM entries WHERE transfer_id = ? AND side = 'DEBIT'",
        hold.getString("id"))).isEqualTo(120);
  }

  @Test
  void postingMoreThanHeldIsInvalidAndChangesNothing() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 300, "USD");
    String key = key();

    JsonObject refusal = problem(ledger.post(hold.getString("id"), new JsonObject().put("amount", 301), key),
        400, "VALIDATION_FAILED");

    assertThat(refusal.getString("field")).isEqualTo("amount");
    assertThat(ledger.transferById(hold.getString("id"))).isEqualTo(hold);
    ledger.assertBalance(payer, 1000, 300);
    ledger.assertBalance(payee, 0, 0);
    // A 400 is not kept for its key: the next try with the key is decided afresh.
    assertThat(ok(ledger.post(hold.getString("id"), new JsonObject().put("amount", 300), key))
        .getLong("postedAmount")).isEqualTo(300);
  }

  @Test
  void voidReleasesTheHold() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 300, "USD");

    JsonObject voided = ok(ledger.voidHold(hold.getString("id"), key()));

    assertThat(voided.getString("status")).isEqualTo("VOIDED");
    assertThat(voided.getString("voidReason")).isEqualTo("REQUESTED");
    assertThat(voided.getValue("postedAmount")).isNull();
    ledger.assertBalance(payer, 1000, 0);
    ledger.assertBalance(payee, 0, 0);
    assertThat(ledger.transferById(hold.getString("id"))).isEqualTo(voided);
    assertThat(ledger.count("SELECT count(*) FROM entries WHERE transfer_id = ?", hold.getString("id"))).isZero();
    assertThat(ledger.outboxRows("TRANSFER_VOIDED", hold.getString("id"))).isEqualTo(1);
  }

  @Test
  void onlyAPendingTransferCanBePostedOrVoided() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    String voided = ledger.hold(payer, payee, 100, "USD").getString("id");
    ok(ledger.voidHold(voided, key()));
    String posted = ledger.hold(payer, payee, 100, "USD").getString("id");
    ok(ledger.post(posted, null, key()));
    String immediate = created(ledger.transfer(transferRequest(payer, payee, 100, "USD"))).getString("id");

    for (String id : List.of(voided, posted, immediate)) {
      problem(ledger.post(id, null, key()), 409, "INVALID_STATE");
      problem(ledger.voidHold(id, key()), 409, "INVALID_STATE");
    }
    ledger.assertBalance(payer, 800, 0);
    ledger.assertBalance(payee, 200, 0);
  }

  @Test
  void refusedPostsAndVoidsAreAuditedAsTheActionRefused() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    String id = ledger.hold(payer, payee, 100, "USD").getString("id");
    ok(ledger.voidHold(id, key()));
    String postKey = key();
    problem(ledger.post(id, null, postKey), 409, "INVALID_STATE");
    problem(ledger.voidHold(id, key()), 409, "INVALID_STATE");
    problem(ledger.post(ledger.hold(payer, payee, 100, "USD").getString("id"),
        new JsonObject().put("amount", 101), key()), 400, "VALIDATION_FAILED");

    List<JsonObject> records = Eventually.until("the refusals sealed", Duration.ofSeconds(15), () -> {
      List<JsonObject> found = new java.util.ArrayList<>();
      http.get("acme-auditor", "/v1/audit/events?limit=100&entityId=" + id).bodyAsJsonObject().getJsonArray("items")
          .forEach(item -> found.add((JsonObject) item));
      return found;
    }, found -> found.size() >= 4);
    assertThat(records).extracting(r -> r.getString("action") + " " + r.getBoolean("success"))
        .containsExactly("TRANSFER_PENDING true", "TRANSFER_VOIDED true", "TRANSFER_POSTED false",
            "TRANSFER_VOIDED false");
    JsonObject refusedPost = records.get(2).getJsonObject("data");
    assertThat(refusedPost.getString("code")).isEqualTo("INVALID_STATE");
    assertThat(refusedPost.getString("idempotencyKey")).isEqualTo(postKey);
    assertThat(refusedPost.getString("detail")).contains("VOIDED");
    assertThat(records.get(2).getString("entityType")).isEqualTo("transfer");
  }

  @Test
  void anotherTenantsTransferIsNotFound() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 300, "USD");
    String path = "/v1/transfers/" + hold.getString("id");

    problem(http.post("globex-teller", path + "/post", null, key()), 404, "NOT_FOUND");
    problem(http.post("globex-teller", path + "/void", null, key()), 404, "NOT_FOUND");
    problem(http.get("globex-teller", path), 404, "NOT_FOUND");
    problem(ledger.post("trf_does_not_exist", null, key()), 404, "NOT_FOUND");

    assertThat(ledger.transferById(hold.getString("id"))).isEqualTo(hold);
    ledger.assertBalance(payer, 1000, 300);
  }

  @Test
  void postIsIdempotentThroughItsKey() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 300, "USD");
    String key = key();
    JsonObject body = new JsonObject().put("amount", 200);

    HttpResponse<Buffer> first = ledger.post(hold.getString("id"), body, key);
    HttpResponse<Buffer> again = ledger.post(hold.getString("id"), body, key);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.getHeader("Idempotent-Replayed")).isNull();
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.bodyAsJsonObject()).isEqualTo(first.bodyAsJsonObject());
    ledger.assertBalance(payer, 800, 0);
    ledger.assertBalance(payee, 200, 0);
    assertThat(ledger.outboxRows("TRANSFER_POSTED", hold.getString("id"))).isEqualTo(1);
    // The key belongs to that request: another body, or the void route, is a reuse.
    problem(ledger.post(hold.getString("id"), new JsonObject().put("amount", 100), key), 422, "IDEMPOTENCY_KEY_REUSED");
    problem(ledger.voidHold(hold.getString("id"), key), 422, "IDEMPOTENCY_KEY_REUSED");
  }

  @Test
  void voidIsIdempotentThroughItsKeyAndSoIsItsRefusal() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 300, "USD");
    String voidKey = key();

    JsonObject voided = ok(ledger.voidHold(hold.getString("id"), voidKey));
    HttpResponse<Buffer> again = ledger.voidHold(hold.getString("id"), voidKey);

    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.bodyAsJsonObject()).isEqualTo(voided);
    assertThat(ledger.outboxRows("TRANSFER_VOIDED", hold.getString("id"))).isEqualTo(1);

    String postKey = key();
    JsonObject refused = problem(ledger.post(hold.getString("id"), null, postKey), 409, "INVALID_STATE");
    HttpResponse<Buffer> refusedAgain = ledger.post(hold.getString("id"), null, postKey);
    assertThat(refusedAgain.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(refusedAgain.bodyAsJsonObject()).isEqualTo(refused);
    ledger.assertBalance(payer, 1000, 0);
  }

  @Test
  void holdsCountInEveryLaterAvailableCheck() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 700, "USD");

    problem(ledger.transfer(transferRequest(payer, payee, 301, "USD")), 422, "INSUFFICIENT_FUNDS");
    problem(ledger.transfer(holdRequest(payer, payee, 301, "USD", null)), 422, "INSUFFICIENT_FUNDS");
    created(ledger.transfer(transferRequest(payer, payee, 300, "USD")));
    ledger.assertBalance(payer, 700, 700);
    problem(ledger.transfer(transferRequest(payer, payee, 1, "USD")), 422, "INSUFFICIENT_FUNDS");

    ok(ledger.voidHold(hold.getString("id"), key()));
    ledger.assertBalance(payer, 700, 0);
    created(ledger.transfer(transferRequest(payer, payee, 700, "USD")));
    ledger.assertBalance(payer, 0, 0);
  }

  @Test
  void aHoldMayUseTheOverdraftAndNoMore() {
    String payer = ledger.open(new JsonObject().put("currency", "USD").put("overdraftLimit", 100));
    String payee = ledger.open("USD");

    ledger.hold(payer, payee, 60, "USD");
    problem(ledger.transfer(holdRequest(payer, payee, 41, "USD", null)), 422, "INSUFFICIENT_FUNDS");
    ledger.hold(payer, payee, 40, "USD");
    ledger.assertBalance(payer, 0, 100);
  }

  @Test
  void anAccountWithAnOpenHoldCannotBeClosed() {
    String payer = ledger.open(new JsonObject().put("currency", "USD").put("overdraftLimit", 100));
    String payee = ledger.open("USD");
    JsonObject hold = ledger.hold(payer, payee, 100, "USD");

    problem(http.post(TELLER, "/v1/accounts/" + payer + "/close", null, key()), 422, "BALANCE_NOT_ZERO");

    ok(ledger.voidHold(hold.getString("id"), key()));
    assertThat(ok(http.post(TELLER, "/v1/accounts/" + payer + "/close", null, key())).getString("status"))
        .isEqualTo("CLOSED");
  }

  @Test
  void aHoldOnAFrozenAccountCanBeVoidedButNotPosted() {
    String payer = ledger.funded("USD", 1000);
    String payee = ledger.open("USD");
    String posting = ledger.hold(payer, payee, 100, "USD").getString("id");
    String voiding = ledger.hold(payer, payee, 200, "USD").getString("id");
    ok(http.post(TELLER, "/v1/accounts/" + payer + "/freeze", null, key()));

    problem(ledger.post(posting, null, key()), 422, "ACCOUNT_NOT_ACTIVE");
    assertThat(ok(ledger.voidHold(voiding, key())).getString("status")).isEqualTo("VOIDED");
    ledger.assertBalance(payer, 1000, 100);

    ok(http.post(LedgerFixture.ADMIN, "/v1/accounts/" + payer + "/unfreeze", null, key()));
    ok(ledger.post(posting, null, key()));
    ledger.assertBalance(payer, 900, 0);
    ledger.assertBalance(payee, 100, 0);
  }

  @Test
  void settlingChangesBalancesTransferAndOutboxTogether() {
    String payer = ledger.funded("EUR", 1000);
    String payee = ledger.open("EUR");
    String posted = ledger.hold(payer, payee, 400, "EUR").getString("id");
    String voided = ledger.hold(payer, payee, 100, "EUR").getString("id");

    ok(ledger.post(posted, new JsonObject().put("amount", 250), key()));
    ok(ledger.voidHold(voided, key()));

    // The outbox rows carry the transfer as it was committed with them.
    JsonObject postedRow = new JsonObject(outboxData("TRANSFER_POSTED", posted));
    assertThat(postedRow.getString("status")).isEqualTo("POSTED");
    assertThat(postedRow.getLong("postedAmount")).isEqualTo(250);
    JsonObject voidedRow = new JsonObject(outboxData("TRANSFER_VOIDED", voided));
    assertThat(voidedRow.getString("voidReason")).isEqualTo("REQUESTED");
    ledger.assertBalance(payer, 750, 0);
    JsonObject books = ledger.trialBalance("EUR");
    assertThat(books.getLong("sumPosted")).isZero();
    assertThat(books.getLong("sumPending")).isZero();
    assertThat(books.getLong("entries")).isEqualTo(2 * books.getLong("postedTransfers"));
  }

  private static String outboxData(String action, String transferId) {
    try (var connection = fincloud.node.DatabaseSettings.connect(node.pgUrl());
        var statement = connection.prepareStatement(
            "SELECT data::text FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE action = ? AND entity_id = ?")) {
      statement.setString(1, action);
      statement.setString(2, transferId);
      try (var rows = statement.executeQuery()) {
        assertThat(rows.next()).as(action + " outbox row of " + transferId).isTrue();
        return rows.getString(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
