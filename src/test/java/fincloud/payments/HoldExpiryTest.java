package fincloud.payments;

import static fincloud.payments.LedgerFixture.key;
import static fincloud.payments.LedgerFixture.problem;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestClock;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Holds past their expiry are voided by the system, once, even with two nodes sweeping the same
 * database; until then a caller can no longer settle them.
 */
@ExtendWith(VertxExtension.class)
class HoldExpiryTest {
  /** Sweep often, so that the two nodes race each other for the same holds. */
  static final JsonObject FAST_SWEEP = new JsonObject().put("ledger", new JsonObject().put("expiryIntervalMs", 100));
  static final Duration DEADLINE = Duration.ofSeconds(30);
  /** Both nodes' clock: a test moves it past an expiry instead of waiting for it. */
  static final TestClock CLOCK = new TestClock();

  static Vertx otherVertx;
  static TestNode first;
  static TestNode second;
  static TestClient firstHttp;
  static TestClient secondHttp;
  static LedgerFixture viaFirst;
  static LedgerFixture viaSecond;

  @BeforeAll
  static void start(Vertx vertx) {
    String database = TestDatabase.freshDatabase();
    first = TestNode.start(vertx, FAST_SWEEP, database, CLOCK);
    // A second node on its own Vert.x instance (its own event bus and pool), as another process would be.
    otherVertx = Vertx.vertx();
    second = TestNode.start(otherVertx, FAST_SWEEP, database, CLOCK);
    firstHttp = first.client();
    secondHttp = second.client();
    viaFirst = new LedgerFixture(firstHttp, database);
    viaSecond = new LedgerFixture(secondHttp, database);
  }

  @AfterAll
  static void stop() {
    firstHttp.close();
    secondHttp.close();
    second.stop();
    first.stop();
    otherVertx.close().await();
  }

  @Test
  void expiredHoldsAreVoidedOnceByTheSystemWhileTwoNodesSweep() {
    String payer = viaFirst.funded("USD", 10_000);
    String payee = viaFirst.open("USD");
    List<String> holds = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      holds.add(viaFirst.hold(payer, payee, 100, "USD", 1).getString("id"));
      holds.add(viaSecond.hold(payer, payee, 10, "USD", 1).getString("id"));
    }
    String lasting = viaFirst.hold(payer, payee, 1, "USD", 3600).getString("id");
    CLOCK.advance(Duration.ofSeconds(2));

    Eventually.until("every short hold is voided", DEADLINE, () -> holds.stream()
        .allMatch(id -> viaFirst.transferById(id).getString("status").equals("VOIDED")));

    for (String id : holds) {
      JsonObject transfer = viaSecond.transferById(id);
      assertThat(transfer.getString("voidReason")).isEqualTo("EXPIRED");
      assertThat(transfer.getValue("postedAmount")).isNull();
      assertThat(viaFirst.outboxRows("TRANSFER_VOIDED", id)).as("voids of " + id).isEqualTo(1);
    }
    assertThat(viaFirst.count("SELECT count(*) FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE action = 'TRANSFER_VOIDED' AND actor = 'system'"
        + " AND entity_id = ANY(?)", (Object) holds.toArray(String[]::new))).isEqualTo(holds.size());
    assertThat(viaFirst.transferById(lasting).getString("status")).isEqualTo("PENDING");
    viaFirst.assertBalance(payer, 10_000, 1);
    viaFirst.assertBalance(payee, 0, 0);
    JsonObject books = viaFirst.trialBalance("USD");
    assertThat(books.getLong("sumPosted")).isZero();
    assertThat(books.getLong("sumPending")).isEqualTo(1);
  }

  @Test
  void aHoldIsVoidedByTheSystemEvenIfNobodyAsks() {
    String payer = viaSecond.funded("EUR", 500);
    String payee = viaSecond.open("EUR");
    String hold = viaSecond.hold(payer, payee, 500, "EUR", 1).getString("id");
    viaSecond.assertBalance(payer, 500, 500);
    CLOCK.advance(Duration.ofSeconds(2));

    Eventually.until("the hold is voided", DEADLINE,
        () -> viaSecond.transferById(hold).getString("status").equals("VOIDED"));

    assertThat(viaSecond.transferById(hold).getString("voidReason")).isEqualTo("EXPIRED");
    viaSecond.assertBalance(payer, 500, 0);
    problem(viaSecond.post(hold, null, key()), 409, "INVALID_STATE");
    problem(viaSecond.voidHold(hold, key()), 409, "INVALID_STATE");
  }

  /** A node that does not sweep (its first sweep is an hour away): a hold past expiresAt is still PENDING. */
  @Test
  void aHoldPastItsExpiryCannotBeSettledEvenBeforeTheSweep() {
    Vertx quiet = Vertx.vertx();
    TestClock clock = new TestClock();
    TestNode lazy = TestNode.start(quiet, new JsonObject().put("ledger",
        new JsonObject().put("expiryIntervalMs", 3_600_000)), TestDatabase.freshDatabase(), clock);
    TestClient http = lazy.client();
    try {
      LedgerFixture ledger = new LedgerFixture(http, lazy.pgUrl());
      String payer = ledger.funded("USD", 1000);
      String payee = ledger.open("USD");
      JsonObject hold = ledger.hold(payer, payee, 400, "USD", 1);
      Instant expiresAt = Instant.parse(hold.getString("expiresAt"));
      clock.advance(Duration.ofSeconds(2));
      assertThat(clock.instant()).as("the node's now").isAfter(expiresAt.plusMillis(200));

      problem(ledger.post(hold.getString("id"), null, key()), 409, "INVALID_STATE");
      problem(ledger.voidHold(hold.getString("id"), key()), 409, "INVALID_STATE");

      assertThat(ledger.transferById(hold.getString("id")).getString("status")).isEqualTo("PENDING");
      ledger.assertBalance(payer, 1000, 400);
      ledger.assertBalance(payee, 0, 0);
    } finally {
      http.close();
      lazy.stop();
      quiet.close().await();
    }
  }
}
