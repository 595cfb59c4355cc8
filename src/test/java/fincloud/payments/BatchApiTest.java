package fincloud.payments;

import static fincloud.payments.LedgerFixture.TELLER;
import static fincloud.payments.LedgerFixture.created;
import static fincloud.payments.LedgerFixture.holdRequest;
import static fincloud.payments.LedgerFixture.key;
import static fincloud.payments.LedgerFixture.ok;
import static fincloud.payments.LedgerFixture.problem;
import static fincloud.payments.LedgerFixture.transferRequest;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.NodeExtension;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** POST /v1/transfers/batch: ordered, all or nothing, bounded, idempotent. */
@ExtendWith(NodeExtension.class)
class BatchApiTest {
  static TestNode node;
  static TestClient http;
  static LedgerFixture ledger;

  @BeforeAll
  static void start() {
    ledger = new LedgerFixture(http, node.pgUrl());
  }

  @Test
  void itemsAreAppliedInOrderEachSeeingThoseBefore() {
    String a = ledger.funded("USD", 1000);
    String b = ledger.open("USD");
    String c = ledger.open("USD");

    // b holds nothing until item 0 credits it; item 1 debits that money on.
    JsonObject answer = created(ledger.batch(new JsonArray()
        .add(transferRequest(a, b, 500, "USD").put("reference", "first"))
        .add(transferRequest(b, c, 500, "USD").put("reference", "second"))
        .add(transferRequest(c, a, 100, "USD").put("reference", "third")), key()));

    JsonArray transfers = answer.getJsonArray("transfers");
    assertThat(transfers).hasSize(3);
    assertThat(transfers.stream().map(t -> ((JsonObject) t).getString("reference")))
        .containsExactly("first", "second", "third");
    transfers.forEach(t -> {
      JsonObject transfer = (JsonObject) t;
      assertThat(transfer.getString("status")).isEqualTo("POSTED");
      assertThat(ledger.transferById(transfer.getString("id"))).isEqualTo(transfer);
    });
    ledger.assertBalance(a, 600, 0);
    ledger.assertBalance(b, 0, 0);
    ledger.assertBalance(c, 400, 0);
    // b's entries show the credit, then the debit of the money it just received.
    JsonArray entries = http.get(TELLER, "/v1/accounts/" + b + "/entries").bodyAsJsonObject().getJsonArray("items");
    assertThat(entries.stream().map(e -> ((JsonObject) e).getString("side") + " " + ((JsonObject) e).getLong("balanceAfter")))
        .containsExactly("DEBIT 0", "CREDIT 500");
  }

  @Test
  void aRefusedItemRefusesTheBatchWithItsIndexAndNothingMoves() {
    String a = ledger.funded("USD", 1000);
    String b = ledger.open("USD");
    String c = ledger.open("USD");

    JsonObject refusal = problem(ledger.batch(new JsonArray()
        .add(transferRequest(a, b, 600, "USD"))
        .add(transferRequest(b, c, 600, "USD"))
        .add(transferRequest(c, a, 601, "USD")), key()), 422, "INSUFFICIENT_FUNDS");

    assertThat(refusal.getInteger("index")).isEqualTo(2);
    assertNothingMoved(List.of(a, b, c), 1000);
  }

  @Test
  void theFirstFailingItemDecidesWhateverTheKindOfRefusal() {
    String a = ledger.funded("USD", 100);
    String b = ledger.open("USD");
    String euros = ledger.open("EUR");
    String frozen = ledger.open("USD");
    ok(http.post(TELLER, "/v1/accounts/" + frozen + "/freeze", null, key()));
    JsonObject fine = transferRequest(a, b, 10, "USD");

    assertThat(problem(ledger.batch(new JsonArray().add(fine).add(transferRequest(a, "acc_nope", 1, "USD")), key()),
        404, "NOT_FOUND").getInteger("index")).isEqualTo(1);
    assertThat(problem(ledger.batch(new JsonArray().add(fine).add(fine).add(transferRequest(a, a, 1, "USD")), key()),
        422, "SAME_ACCOUNT").getInteger("index")).isEqualTo(2);
    assertThat(problem(ledger.batch(new JsonArray().add(transferRequest(a, euros, 1, "USD")), key()),
        422, "CURRENCY_MISMATCH").getInteger("index")).isZero();
    assertThat(problem(ledger.batch(new JsonArray().add(fine).add(transferRequest(a, frozen, 1, "USD")), key()),
        422, "ACCOUNT_NOT_ACTIVE").getInteger("index")).isEqualTo(1);
    // An early lack of funds comes before a later unknown account: items fail in order.
    assertThat(problem(ledger.batch(new JsonArray().add(fine).add(transferRequest(a, b, 91, "USD"))
        .add(transferRequest(a, "acc_nope", 1, "USD")), key()), 422, "INSUFFICIENT_FUNDS").getInteger("index"))
        .isEqualTo(1);
    // A malformed item is named by its index too.
    JsonObject invalid = problem(ledger.batch(new JsonArray().add(fine).add(fine)
        .add(transferRequest(a, b, 0, "USD")), key()), 400, "VALIDATION_FAILED");
    assertThat(invalid.getInteger("index")).isEqualTo(2);
    assertThat(invalid.getString("field")).isEqualTo("transfers/2/amount");

    assertNothingMoved(List.of(a, b, euros, frozen), 100);
  }

  @Test
  void itemsMayBeHoldsAndLaterItemsSeeThem() {
    String a = ledger.funded("USD", 1000);
    String b = ledger.open("USD");
    String c = ledger.open("USD");

    JsonObject refusal = problem(ledger.batch(new JsonArray()
        .add(holdRequest(a, b, 800, "USD", null))
        .add(transferRequest(a, c, 201, "USD")), key()), 422, "INSUFFICIENT_FUNDS");
    assertThat(refusal.getInteger("index")).isEqualTo(1);
    assertNothingMoved(List.of(a, b, c), 1000);

    JsonArray transfers = created(ledger.batch(new JsonArray()
        .add(holdRequest(a, b, 800, "USD", 600))
        .add(transferRequest(a, c, 200, "USD")), key())).getJsonArray("transfers");
    JsonObject hold = transfers.getJsonObject(0);
    assertThat(hold.getString("status")).isEqualTo("PENDING");
    assertThat(hold.getString("expiresAt")).isNotNull();
    assertThat(transfers.getJsonObject(1).getString("status")).isEqualTo("POSTED");
    ledger.assertBalance(a, 800, 800);
    ledger.assertBalance(c, 200, 0);

    assertThat(ok(ledger.post(hold.getString("id"), new JsonObject().put("amount", 300), key()))
        .getLong("postedAmount")).isEqualTo(300);
    ledger.assertBalance(a, 500, 0);
    ledger.assertBalance(b, 300, 0);
  }

  @Test
  void aThousandItemsGoThroughInOneAnswer() {
    String a = ledger.funded("USD", 5000);
    String b = ledger.open("USD");
    JsonArray items = new JsonArray();
    for (int i = 0; i < 1000; i++) {
      items.add(transferRequest(a, b, 1 + i % 5, "USD").put("reference", ("item-" + i + "-").repeat(12)));
    }
    JsonObject body = new JsonObject().put("transfers", items);
    assertThat(body.toBuffer().length()).as("more than the 64 KiB of other routes").isGreaterThan(64 * 1024);

    JsonArray transfers = created(http.post(TELLER, "/v1/transfers/batch", body, key())).getJsonArray("transfers");

    assertThat(transfers).hasSize(1000);
    assertThat(transfers.getJsonObject(999).getString("reference")).startsWith("item-999-");
    ledger.assertBalance(a, 2000, 0);
    ledger.assertBalance(b, 3000, 0);
    assertThat(ledger.entryRows(List.of(b))).isEqualTo(1000);
  }

  @Test
  void moreThanAThousandItemsOrNoneAreRefused() {
    String a = ledger.funded("USD", 5000);
    String b = ledger.open("USD");
    JsonArray items = new JsonArray();
    for (int i = 0; i < 1001; i++) {
      items.add(transferRequest(a, b, 1, "USD"));
    }

    problem(ledger.batch(items, key()), 400, "VALIDATION_FAILED");
    problem(ledger.batch(new JsonArray(), key()), 400, "VALIDATION_FAILED");
    problem(http.post(TELLER, "/v1/transfers/batch", new JsonObject().put("transfers", new JsonArray()
        .add(transferRequest(a, b, 1, "USD"))), null), 400, "VALIDATION_FAILED");
    assertNothingMoved(List.of(a, b), 5000);
  }

  @Test
  void aBodyOverOneMebibyteIsTooLarge() {
    String a = ledger.funded("USD", 100);
    String b = ledger.open("USD");
    String item = transferRequest(a, b, 1, "USD").encode();
    String padding = " ".repeat(1024 * 1024);
    Buffer body = Buffer.buffer("{\"transfers\":[" + item + padding + "]}");

    HttpResponse<Buffer> response = http.web().post("/v1/transfers/batch")
        .bearerTokenAuthentication(http.token(TELLER)).putHeader("Idempotency-Key", key())
        .putHeader("Content-Type", "application/json").sendBuffer(body).await();

    problem(response, 413, "PAYLOAD_TOO_LARGE");
    assertNothingMoved(List.of(a, b), 100);
  }

  @Test
  void aReplayReturnsTheSameAnswerAndMovesNothingAgain() {
    String a = ledger.funded("USD", 1000);
    String b = ledger.open("USD");
    JsonArray items = new JsonArray().add(transferRequest(a, b, 100, "USD")).add(holdRequest(a, b, 200, "USD", null));
    String key = key();

    HttpResponse<Buffer> first = ledger.batch(items, key);
    // The same body with its keys in another order and other spacing is the same request.
    Buffer reordered = Buffer.buffer("{ \"transfers\" : [" + items.stream().map(o -> reversed((JsonObject) o))
        .reduce((x, y) -> x + " , " + y).orElseThrow() + "] }");
    HttpResponse<Buffer> again = http.web().post("/v1/transfers/batch").bearerTokenAuthentication(http.token(TELLER))
        .putHeader("Idempotency-Key", key).putHeader("Content-Type", "application/json").sendBuffer(reordered).await();

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.bodyAsJsonObject()).isEqualTo(first.bodyAsJsonObject());
    ledger.assertBalance(a, 900, 200);
    ledger.assertBalance(b, 100, 0);
    assertThat(ledger.transferRows(List.of(b))).isEqualTo(2);
    problem(ledger.batch(new JsonArray().add(transferRequest(a, b, 101, "USD")), key), 422, "IDEMPOTENCY_KEY_REUSED");
  }

  @Test
  void aRefusedBatchIsReplayedAsRefusedEvenOnceItWouldPass() {
    String a = ledger.funded("USD", 100);
    String b = ledger.open("USD");
    JsonArray items = new JsonArray().add(transferRequest(a, b, 50, "USD")).add(transferRequest(a, b, 51, "USD"));
    String key = key();

    JsonObject refusal = problem(ledger.batch(items, key), 422, "INSUFFICIENT_FUNDS");
    created(ledger.transfer(transferRequest(ledger.funding("USD"), a, 1, "USD")));
    HttpResponse<Buffer> again = ledger.batch(items, key);

    assertThat(again.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(problem(again, 422, "INSUFFICIENT_FUNDS")).isEqualTo(refusal);
    assertThat(refusal.getInteger("index")).isEqualTo(1);
    ledger.assertBalance(a, 101, 0);
    created(ledger.batch(items, key()));
    ledger.assertBalance(a, 0, 0);
  }

  /** Balances as funded, and not one transfer or entry row but the funding one of the first account. */
  private static void assertNothingMoved(List<String> accounts, long funded) {
    ledger.assertBalance(accounts.get(0), funded, 0);
    accounts.subList(1, accounts.size()).forEach(id -> ledger.assertBalance(id, 0, 0));
    assertThat(ledger.transferRows(accounts)).isEqualTo(1);
    assertThat(ledger.entryRows(accounts)).isEqualTo(1);
  }

  private static String reversed(JsonObject object) {
    List<String> names = new java.util.ArrayList<>(object.fieldNames());
    java.util.Collections.reverse(names);
    StringBuilder json = new StringBuilder("{");
    for (String name : names) {
      json.append(json.length() > 1 ? ",\n " : "").append('"').append(name).append("\": ")
          .append(io.vertx.core.json.Json.encode(object.getValue(name)));
    }
    return json.append('}').toString();
  }
}
