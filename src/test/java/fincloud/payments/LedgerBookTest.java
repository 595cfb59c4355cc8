package fincloud.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.idempotency.IdempotencyRecords.Key;
import fincloud.idempotency.IdempotencyRecords.Stored;
import fincloud.outbox.AuditEvent;
import fincloud.payments.LedgerCommand.Create;
import fincloud.payments.LedgerCommand.Expire;
import fincloud.payments.LedgerCommand.Refusal;
import fincloud.payments.LedgerCommand.Settle;
import fincloud.shared.AccountStatus;
import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.RequestContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The ledger's decisions, in memory: no database, no Vert.x. */
class LedgerBookTest {
  private static final Instant NOW = Instant.parse("2026-11-26T12:00:00.123456Z");
  private static final Set<String> TELLER_SCOPES = Set.of("transfers:read", "transfers:write");

  private final Map<String, AccountState> accounts = new HashMap<>();
  private final Map<String, TransferState> transfers = new HashMap<>();
  private final Map<Key, Stored> stored = new HashMap<>();
  private final Set<Key> inFlightElsewhere = new HashSet<>();
  private final Map<Key, Instant> fences = new HashMap<>();
  private LedgerBook book;

  private AccountState account(String id, long posted) {
    return account(id, "acme", posted, 0, 0, false, AccountStatus.ACTIVE);
  }

  private AccountState account(String id, String tenant, long posted, long pending, long overdraft,
      boolean allowNegative, AccountStatus status) {
    AccountState account = new AccountState(id, tenant, "EUR", status, overdraft, allowNegative, posted, pending,
        NOW.getEpochSecond() - 3600);
    accounts.put(id, account);
    return account;
  }

  private LedgerBook book() {
    book = new LedgerBook(accounts, transfers, stored, inFlightElsewhere, fences, NOW);
    return book;
  }

  private static RequestContext caller(String key, String hash) {
    return caller("acme", key, hash, TELLER_SCOPES);
  }

  private static RequestContext caller(String tenant, String key, String hash, Set<String> scopes) {
    return new RequestContext("req-" + key, tenant, tenant + "-teller", scopes, "127.0.0.1", key, hash,
        NOW.toEpochMilli());
  }

  private static TransferItem item(String debit, String credit, long amount) {
    return new TransferItem(debit, credit, amount, "EUR", TransferMode.IMMEDIATE, null, null, new JsonObject(),
        approve());
  }

  private static TransferItem hold(String debit, String credit, long amount, Integer seconds) {
    return new TransferItem(debit, credit, amount, "EUR", TransferMode.PENDING, seconds, null, new JsonObject(),
        approve());
  }

  private static JsonObject approve() {
    return new JsonObject().put("decision", "APPROVE").put("score", 0).put("reasons", new JsonArray());
  }

  private static Create one(RequestContext caller, TransferItem item) {
    return new Create(caller, List.of(item), false, null);
  }

  private static Create one(TransferItem item) {
    return one(caller(null, null), item);
  }

  private static void assertRefused(Answer answer, ErrorCode code) {
    assertThat(answer.status()).as(answer.body().encode()).isEqualTo(code.status());
    assertThat(answer.code()).isEqualTo(code);
  }

  private List<String> auditActions() {
    return book.audit().stream().map(AuditEvent::action).toList();
  }

  @Test
  void anImmediateTransferPostsOneDebitAndOneCreditEntry() {
    AccountState a = account("acc_a", 1000);
    AccountState b = account("acc_b", 0);
    Answer answer = book().apply(one(item("acc_a", "acc_b", 300)));
    assertThat(answer.status()).isEqualTo(201);
    assertThat(answer.body().getString("status")).isEqualTo("POSTED");
    assertThat(answer.body().getLong("postedAmount")).isEqualTo(300L);
    assertThat(answer.body().getString("postedAt")).isEqualTo("2026-11-26T12:00:00.123456Z");
    assertThat(a.posted).isEqualTo(700);
    assertThat(b.posted).isEqualTo(300);
    assertThat(book.created()).hasSize(1);
    assertThat(book.entries()).hasSize(2);
    assertThat(book.entries().get(0).getMap()).containsEntry("account_id", "acc_a")
        .containsEntry("side", "DEBIT").containsEntry("amount", 300L).containsEntry("balance_after", 700L);
    assertThat(book.entries().get(1).getMap()).containsEntry("account_id", "acc_b")
        .containsEntry("side", "CREDIT").containsEntry("amount", 300L).containsEntry("balance_after", 300L);
    assertThat(book.changedAccounts()).containsExactlyInAnyOrder(a, b);
    assertThat(auditActions()).containsExactly("TRANSFER_POSTED");
    book.checkInvariants();
  }

  @Test
  void severalTransfersOnAHotAccountUpdateItOnceWithRunningBalances() {
    AccountState hot = account("acc_hot", 1000);
    account("acc_b", 0);
    account("acc_c", 0);
    book();
    for (TransferItem item : List.of(item("acc_hot", "acc_b", 100), item("acc_hot", "acc_c", 200),
        item("acc_b", "acc_hot", 50), item("acc_hot", "acc_b", 300))) {
      assertThat(book.apply(one(item)).status()).isEqualTo(201);
    }
    assertThat(hot.posted).isEqualTo(450);
    assertThat(book.changedAccounts().stream().filter(x -> x == hot)).hasSize(1);
    assertThat(book.entries().stream().filter(e -> e.getString("account_id").equals("acc_hot"))
        .map(e -> e.getLong("balance_after"))).containsExactly(900L, 700L, 750L, 450L);
    book.checkInvariants();
  }

  @Test
  void theOverdraftLimitBoundsAvailableBalance() {
    AccountState a = account("acc_a", "acme", 0, 0, 500, false, AccountStatus.ACTIVE);
    account("acc_b", 0);
    book();
    assertThat(book.apply(one(item("acc_a", "acc_b", 500))).status()).isEqualTo(201);
    assertRefused(book.apply(one(item("acc_a", "acc_b", 1))), ErrorCode.INSUFFICIENT_FUNDS);
    assertThat(a.posted).isEqualTo(-500);
    assertThat(book.created()).hasSize(1);
    assertThat(book.entries()).hasSize(2);
    assertThat(auditActions()).containsExactly("TRANSFER_POSTED", "TRANSFER_REJECTED");
  }

  @Test
  void heldMoneyIsNotAvailable() {
    AccountState a = account("acc_a", "acme", 1000, 800, 0, false, AccountStatus.ACTIVE);
    account("acc_b", 0);
    book();
    assertRefused(book.apply(one(item("acc_a", "acc_b", 201))), ErrorCode.INSUFFICIENT_FUNDS);
    assertThat(book.apply(one(item("acc_a", "acc_b", 200))).status()).isEqualTo(201);
    assertThat(a.available()).isZero();
  }

  @Test
  void anAccountThatAllowsNegativeHasNoLowerBound() {
    AccountState funding = account("acc_f", "acme", 0, 0, 0, true, AccountStatus.ACTIVE);
    account("acc_b", 0);
    assertThat(book().apply(one(item("acc_f", "acc_b", 9_007_199_254_740_991L))).status()).isEqualTo(201);
    assertThat(funding.posted).isEqualTo(-9_007_199_254_740_991L);
  }

  @Test
  void theLedgerChecksTenantAndStatusAgainstTheLockedRows() {
    account("acc_a", 1000);
    account("acc_g", "globex", 1000, 0, 0, false, AccountStatus.ACTIVE);
    account("acc_f", "acme", 1000, 0, 0, false, AccountStatus.FROZEN);
    account("acc_c", "acme", 0, 0, 0, false, AccountStatus.CLOSED);
    book();
    assertRefused(book.apply(one(item("acc_a", "acc_g", 1))), ErrorCode.NOT_FOUND);
    assertRefused(book.apply(one(item("acc_g", "acc_a", 1))), ErrorCode.NOT_FOUND);
    assertRefused(book.apply(one(item("acc_a", "acc_missing", 1))), ErrorCode.NOT_FOUND);
    assertRefused(book.apply(one(item("acc_f", "acc_a", 1))), ErrorCode.ACCOUNT_NOT_ACTIVE);
    assertRefused(book.apply(one(item("acc_a", "acc_c", 1))), ErrorCode.ACCOUNT_NOT_ACTIVE);
    assertThat(book.created()).isEmpty();
    assertThat(book.entries()).isEmpty();
    assertThat(accounts.get("acc_a").posted).isEqualTo(1000);
  }

  @Test
  void aRefusedCommandDoesNotFailItsNeighbours() {
    account("acc_a", 100);
    account("acc_b", 0);
    book();
    assertThat(book.apply(one(item("acc_a", "acc_b", 60))).status()).isEqualTo(201);
    assertRefused(book.apply(one(item("acc_a", "acc_b", 60))), ErrorCode.INSUFFICIENT_FUNDS);
    assertThat(book.apply(one(item("acc_a", "acc_b", 40))).status()).isEqualTo(201);
    assertThat(accounts.get("acc_b").posted).isEqualTo(100);
    assertThat(book.created()).hasSize(2);
  }

  @Test
  void aBatchIsAllOrNothing() {
    AccountState a = account("acc_a", 1000);
    AccountState b = account("acc_b", 0);
    AccountState c = account("acc_c", 0);
    book();
    assertThat(book.apply(one(item("acc_a", "acc_c", 100))).status()).isEqualTo(201);
    Answer answer = book.apply(new Create(caller(null, null), List.of(item("acc_a", "acc_b", 500),
        item("acc_b", "acc_c", 300), item("acc_a", "acc_c", 600)), true, null));
    assertRefused(answer, ErrorCode.INSUFFICIENT_FUNDS);
    assertThat(answer.body().getInteger("index")).isEqualTo(2);
    assertThat(a.posted).isEqualTo(900);
    assertThat(b.posted).isZero();
    assertThat(c.posted).isEqualTo(100);
    assertThat(book.created()).hasSize(1);
    assertThat(book.entries()).hasSize(2);
    assertThat(auditActions()).containsExactly("TRANSFER_POSTED", "TRANSFER_REJECTED");
    book.checkInvariants();
  }

  @Test
  void batchItemsSeeTheEffectsOfThoseBeforeThem() {
    account("acc_a", 500);
    account("acc_b", 0);
    account("acc_c", 0);
    Answer answer = book().apply(new Create(caller(null, null), List.of(item("acc_a", "acc_b", 500),
        item("acc_b", "acc_c", 500)), true, null));
    assertThat(answer.status()).isEqualTo(201);
    assertThat(answer.body().getJsonArray("transfers")).hasSize(2);
    assertThat(accounts.get("acc_b").posted).isZero();
    assertThat(accounts.get("acc_c").posted).isEqualTo(500);
  }

  @Test
  void aRefusalDecidedBeforeTheLedgerComesAfterEarlierItemsRefusals() {
    account("acc_a", 100);
    account("acc_b", 0);
    Refusal same = new Refusal(1, ErrorCode.SAME_ACCOUNT, "same", null);
    Answer first = book().apply(new Create(caller(null, null), List.of(item("acc_a", "acc_b", 101),
        item("acc_b", "acc_b", 1)), true, same));
    assertRefused(first, ErrorCode.INSUFFICIENT_FUNDS);
    assertThat(first.body().getInteger("index")).isZero();
    Answer second = book.apply(new Create(caller(null, null), List.of(item("acc_a", "acc_b", 100),
        item("acc_b", "acc_b", 1)), true, same));
    assertRefused(second, ErrorCode.SAME_ACCOUNT);
    assertThat(second.body().getInteger("index")).isEqualTo(1);
    assertThat(accounts.get("acc_a").posted).isEqualTo(100);
    assertThat(book.created()).isEmpty();
  }

  @Test
  void aKeyTakesEffectOnceWithinABook() {
    account("acc_a", 1000);
    account("acc_b", 0);
    book();
    Answer first = book.apply(one(caller("k1", "h1"), item("acc_a", "acc_b", 100)));
    Answer again = book.apply(one(caller("k1", "h1"), item("acc_a", "acc_b", 100)));
    assertThat(again.replayed()).isTrue();
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.body()).isEqualTo(first.body());
    assertRefused(book.apply(one(caller("k1", "h2"), item("acc_a", "acc_b", 200))), ErrorCode.IDEMPOTENCY_KEY_REUSED);
    assertThat(book.created()).hasSize(1);
    assertThat(accounts.get("acc_b").posted).isEqualTo(100);
    assertThat(book.newRecords()).containsOnlyKeys(new Key("acme", "k1"));
    assertThat(book.newRecords().get(new Key("acme", "k1")).requestHash()).isEqualTo("h1");
  }

  @Test
  void aStoredAnswerIsReplayedAndNothingIsApplied() {
    account("acc_a", 1000);
    account("acc_b", 0);
    JsonObject earlier = new JsonObject().put("id", "trf_earlier").put("status", "POSTED");
    stored.put(new Key("acme", "k1"), new Stored("h1", new Answer(201, earlier, false)));
    Answer answer = book().apply(one(caller("k1", "h1"), item("acc_a", "acc_b", 100)));
    assertThat(answer.replayed()).isTrue();
    assertThat(answer.body()).isEqualTo(earlier);
    assertRefused(book.apply(one(caller("k1", "other"), item("acc_a", "acc_b", 100))),
        ErrorCode.IDEMPOTENCY_KEY_REUSED);
    assertThat(book.created()).isEmpty();
    assertThat(book.newRecords()).isEmpty();
    assertThat(book.audit()).isEmpty();
  }

  @Test
  void aKeyInFlightElsewhereIsRefusedAndNotStored() {
    account("acc_a", 1000);
    account("acc_b", 0);
    inFlightElsewhere.add(new Key("acme", "k1"));
    assertRefused(book().apply(one(caller("k1", "h1"), item("acc_a", "acc_b", 100))), ErrorCode.IDEMPOTENCY_IN_FLIGHT);
    assertThat(book.created()).isEmpty();
    assertThat(book.newRecords()).isEmpty();
    // The same key name of another tenant is another key.
    account("acc_g1", "globex", 1000, 0, 0, false, AccountStatus.ACTIVE);
    account("acc_g2", "globex", 0, 0, 0, false, AccountStatus.ACTIVE);
    assertThat(book.apply(one(caller("globex", "k1", "h1", TELLER_SCOPES), item("acc_g1", "acc_g2", 1))).status())
        .isEqualTo(201);
  }

  @Test
  void anAttemptReceivedBeforeAFallbackRefusalOfItsKeyAppliesNothing() {
    account("acc_a", 1000);
    account("acc_b", 0);
    // the fallback refused the key 5 s after this attempt was received: the attempt is overtaken
    fences.put(new Key("acme", "k1"), NOW.plusSeconds(5));
    Answer overtaken = book().apply(one(caller("k1", "h1"), item("acc_a", "acc_b", 100)));
    assertRefused(overtaken, ErrorCode.UNAVAILABLE);
    assertThat(book.created()).isEmpty();
    assertThat(book.newRecords()).isEmpty();
    assertThat(accounts.get("acc_a").posted).isEqualTo(1000);
    // an attempt received well after the fence is decided afresh
    fences.put(new Key("acme", "k2"), NOW.minusSeconds(5));
    assertThat(book.apply(one(caller("k2", "h2"), item("acc_a", "acc_b", 100))).status()).isEqualTo(201);
  }

  @Test
  void theOperationsOwnRefusalsAreStoredButNotValidationFailures() {
    account("acc_a", 100);
    account("acc_b", Long.MAX_VALUE - 10);
    account("acc_c", 0);
    book();
    assertRefused(book.apply(one(caller("poor", "h"), item("acc_a", "acc_c", 101))), ErrorCode.INSUFFICIENT_FUNDS);
    assertRefused(book.apply(one(caller("overflow", "h"), item("acc_a", "acc_b", 11))), ErrorCode.VALIDATION_FAILED);
    assertThat(book.newRecords()).containsOnlyKeys(new Key("acme", "poor"));
    assertThat(book.newRecords().get(new Key("acme", "poor")).answer().code()).isEqualTo(ErrorCode.INSUFFICIENT_FUNDS);
    assertThat(accounts.get("acc_b").posted).isEqualTo(Long.MAX_VALUE - 10);
  }

  @Test
  void aHoldReservesMoneyWithoutEntries() {
    AccountState a = account("acc_a", 1000);
    Answer held = book().apply(one(hold("acc_a", "acc_b2", 300, null)));
    assertRefused(held, ErrorCode.NOT_FOUND);
    account("acc_b", 0);
    held = book.apply(one(hold("acc_a", "acc_b", 300, null)));
    assertThat(held.status()).isEqualTo(201);
    assertThat(held.body().getString("status")).isEqualTo("PENDING");
    assertThat(held.body().getString("expiresAt")).isEqualTo("2026-11-26T13:00:00.123456Z");
    assertThat(held.body().getValue("postedAmount")).isNull();
    assertThat(a.pending).isEqualTo(300);
    assertThat(a.available()).isEqualTo(700);
    assertThat(book.entries()).isEmpty();
    assertThat(book.apply(one(hold("acc_a", "acc_b", 10, 60))).body().getString("expiresAt"))
        .isEqualTo("2026-11-26T12:01:00.123456Z");
    assertRefused(book.apply(one(hold("acc_a", "acc_b", 691, null))), ErrorCode.INSUFFICIENT_FUNDS);
    assertThat(auditActions()).containsExactly("TRANSFER_REJECTED", "TRANSFER_PENDING", "TRANSFER_PENDING",
        "TRANSFER_REJECTED");
    book.checkInvariants();
  }

  @Test
  void aReviewedImmediateTransferBecomesADayLongHold() {
    account("acc_a", 1000);
    account("acc_b", 0);
    JsonObject review = new JsonObject().put("decision", "REVIEW").put("score", 70).put("reasons", new JsonArray());
    TransferItem reviewed = item("acc_a", "acc_b", 100).withRisk(review);
    Answer answer = book().apply(one(reviewed));
    assertThat(answer.body().getString("status")).isEqualTo("PENDING");
    assertThat(answer.body().getString("mode")).isEqualTo("IMMEDIATE");
    assertThat(answer.body().getString("expiresAt")).isEqualTo("2026-11-27T12:00:00.123456Z");
    assertThat(accounts.get("acc_a").pending).isEqualTo(100);
  }

  private TransferState pending(String id, String debit, String credit, long amount, Instant expiresAt,
      JsonObject risk) {
    TransferState t = new TransferState(id, "acme", debit, credit, amount, "EUR", TransferMode.PENDING, null,
        new JsonObject(), risk, NOW.minusSeconds(60), expiresAt, TransferStatus.PENDING);
    transfers.put(id, t);
    accounts.get(debit).pending += amount;
    return t;
  }

  @Test
  void postingAHoldMovesWhatIsPostedAndReleasesTheRest() {
    AccountState a = account("acc_a", 1000);
    AccountState b = account("acc_b", 0);
    pending("trf_1", "acc_a", "acc_b", 100, NOW.plusSeconds(60), approve());
    Answer answer = book().apply(new Settle(caller(null, null), "trf_1", true, 40L));
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body().getString("status")).isEqualTo("POSTED");
    assertThat(answer.body().getLong("postedAmount")).isEqualTo(40L);
    assertThat(a.posted).isEqualTo(960);
    assertThat(a.pending).isZero();
    assertThat(b.posted).isEqualTo(40);
    assertThat(book.entries()).hasSize(2);
    assertThat(book.updated()).hasSize(1);
    assertRefused(book.apply(new Settle(caller(null, null), "trf_1", true, null)), ErrorCode.INVALID_STATE);
    assertRefused(book.apply(new Settle(caller(null, null), "trf_1", false, null)), ErrorCode.INVALID_STATE);
    book.checkInvariants();
  }

  @Test
  void voidingAHoldReleasesIt() {
    AccountState a = account("acc_a", 1000);
    account("acc_b", 0);
    pending("trf_1", "acc_a", "acc_b", 100, NOW.plusSeconds(60), approve());
    Answer answer = book().apply(new Settle(caller(null, null), "trf_1", false, null));
    assertThat(answer.body().getString("status")).isEqualTo("VOIDED");
    assertThat(answer.body().getString("voidReason")).isEqualTo("REQUESTED");
    assertThat(a.pending).isZero();
    assertThat(a.posted).isEqualTo(1000);
    assertThat(book.entries()).isEmpty();
    book.checkInvariants();
  }

  @Test
  void settlingRefusesWhatItMust() {
    account("acc_a", 1000);
    account("acc_b", 0);
    pending("trf_late", "acc_a", "acc_b", 100, NOW, approve());
    pending("trf_big", "acc_a", "acc_b", 100, NOW.plusSeconds(60), approve());
    JsonObject review = new JsonObject().put("decision", "REVIEW").put("score", 70).put("reasons", new JsonArray());
    pending("trf_review", "acc_a", "acc_b", 100, NOW.plusSeconds(60), review);
    book();
    assertRefused(book.apply(new Settle(caller(null, null), "trf_late", true, null)), ErrorCode.INVALID_STATE);
    assertRefused(book.apply(new Settle(caller(null, null), "trf_big", true, 101L)), ErrorCode.VALIDATION_FAILED);
    assertRefused(book.apply(new Settle(caller(null, null), "trf_missing", true, null)), ErrorCode.NOT_FOUND);
    assertRefused(book.apply(new Settle(caller("globex", null, null, TELLER_SCOPES), "trf_big", false, null)),
        ErrorCode.NOT_FOUND);
    assertRefused(book.apply(new Settle(caller(null, null), "trf_review", true, null)), ErrorCode.FORBIDDEN);
    assertThat(accounts.get("acc_a").pending).isEqualTo(300);
    Set<String> riskAdmin = Set.of("transfers:write", "risk:admin");
    assertThat(book.apply(new Settle(caller("acme", null, null, riskAdmin), "trf_review", true, null)).status())
        .isEqualTo(200);
    assertThat(accounts.get("acc_a").pending).isEqualTo(200);
    book.checkInvariants();
  }

  @Test
  void expiryVoidsOnlyHoldsPastTheirTime() {
    AccountState a = account("acc_a", 1000);
    account("acc_b", 0);
    pending("trf_due", "acc_a", "acc_b", 100, NOW.minusMillis(1), approve());
    pending("trf_later", "acc_a", "acc_b", 50, NOW.plusSeconds(1), approve());
    book();
    Answer expired = book.apply(new Expire("trf_due"));
    assertThat(expired.body().getString("status")).isEqualTo("VOIDED");
    assertThat(expired.body().getString("voidReason")).isEqualTo("EXPIRED");
    assertThat(book.apply(new Expire("trf_later"))).isNull();
    assertThat(book.apply(new Expire("trf_due"))).as("already voided").isNull();
    assertThat(book.apply(new Expire("trf_gone"))).isNull();
    assertThat(a.pending).isEqualTo(50);
    assertThat(book.audit()).hasSize(1);
    assertThat(book.audit().get(0).actor()).isEqualTo("system");
    book.checkInvariants();
  }

  /**
   * Many random commands on one book: whatever is refused, the books balance — the sum of
   * balances is conserved, no account falls below its limit, and every posted transfer has
   * exactly one debit and one credit entry of its amount.
   */
  @Test
  void randomCommandsKeepTheBooksBalanced() {
    Random random = new Random(20261126);
    int n = 12;
    long total = 0;
    for (int i = 0; i < n; i++) {
      long start = random.nextInt(5000);
      account("acc_" + i, "acme", start, 0, i % 3 == 0 ? 1000 : 0, i == 0, AccountStatus.ACTIVE);
      total += start;
    }
    book();
    int refused = 0;
    for (int c = 0; c < 3000; c++) {
      int from = random.nextInt(n);
      int to = (from + 1 + random.nextInt(n - 1)) % n;
      long amount = 1 + random.nextInt(3000);
      Answer answer;
      if (random.nextInt(5) == 0) {
        int to2 = (to + 1 + random.nextInt(n - 1)) % n;
        answer = book.apply(new Create(caller(null, null), List.of(item("acc_" + from, "acc_" + to, amount),
            item("acc_" + to, "acc_" + (to2 == to ? from : to2), amount / 2 + 1)), true, null));
      } else {
        answer = book.apply(one(item("acc_" + from, "acc_" + to, amount)));
      }
      if (answer.status() != 201) {
        assertThat(answer.code()).isEqualTo(ErrorCode.INSUFFICIENT_FUNDS);
        refused++;
      }
      for (AccountState account : accounts.values()) {
        assertThat(account.allowNegative || account.available() >= -account.overdraftLimit)
            .as("%s at %s", account.id, account.posted).isTrue();
      }
    }
    assertThat(refused).as("the run exercised refusals").isBetween(100, 2900);
    assertThat(accounts.values().stream().mapToLong(x -> x.posted).sum()).isEqualTo(total);
    assertThat(book.entries()).hasSize(2 * book.created().size());
    Map<String, Long> debits = new HashMap<>();
    Map<String, Long> credits = new HashMap<>();
    for (JsonObject entry : book.entries()) {
      (entry.getString("side").equals("DEBIT") ? debits : credits)
          .merge(entry.getString("transfer_id"), entry.getLong("amount"), Long::sum);
    }
    for (TransferState t : book.created()) {
      assertThat(debits.get(t.id)).isEqualTo(t.amount);
      assertThat(credits.get(t.id)).isEqualTo(t.amount);
    }
    book.checkInvariants();
  }

  // The invariants asserted once a group is decided: a book that broke one must not be written.

  @Test
  void aPostingWithoutItsCreditEntryBreaksAnInvariant() {
    account("acc_a", 1000);
    account("acc_b", 0);
    book().apply(one(item("acc_a", "acc_b", 300)));
    book.entries().remove(1);
    assertBroken("transfer " + book.created().get(0).id + " posted 300, not as one debit and one credit entry");
  }

  @Test
  void postedMoneyThatCameFromNowhereBreaksAnInvariant() {
    account("acc_a", 1000);
    AccountState b = account("acc_b", 0);
    book().apply(one(item("acc_a", "acc_b", 300)));
    b.posted += 1;
    assertBroken("the posted balances in EUR changed by 1 in sum, not 0");
  }

  @Test
  void aBalanceThatMovedOtherwiseThanItsEntriesBreaksAnInvariant() {
    AccountState a = account("acc_a", 1000);
    AccountState b = account("acc_b", 0);
    book().apply(one(item("acc_a", "acc_b", 300)));
    a.posted -= 1;
    b.posted += 1;
    assertThatThrownBy(book::checkInvariants).isInstanceOf(BrokenInvariant.class)
        .hasMessageMatching("account acc_(a: posted changed by -301, its entries by -300"
            + "|b: posted changed by 301, its entries by 300)");
  }

  @Test
  void pendingThatDoesNotFollowTheHoldsBreaksAnInvariant() {
    AccountState a = account("acc_a", 1000);
    account("acc_b", 0);
    book().apply(one(hold("acc_a", "acc_b", 300, null)));
    a.pending -= 100;
    assertBroken("account acc_a: pending changed by 200, its holds by 300");
  }

  @Test
  void aHoldThatPendingNeverCarriedCannotBeReleasedBelowZero() {
    account("acc_a", 1000);
    account("acc_b", 0);
    // an inconsistent input: a PENDING transfer that the account's pending does not carry
    transfers.put("trf_lost", new TransferState("trf_lost", "acme", "acc_a", "acc_b", 100, "EUR", TransferMode.PENDING,
        null, new JsonObject(), approve(), NOW.minusSeconds(60), NOW.plusSeconds(60), TransferStatus.PENDING));
    assertThat(book().apply(new Settle(caller(null, null), "trf_lost", false, null)).status()).isEqualTo(200);
    assertBroken("account acc_a: pending -100 is negative");
  }

  @Test
  void aPostingThatLeavesAnAccountBelowItsLimitBreaksAnInvariant() {
    // an inconsistent input: available is already below the limit, and posting the hold keeps it there
    AccountState a = account("acc_a", "acme", -50, 0, 0, false, AccountStatus.ACTIVE);
    account("acc_b", 0);
    pending("trf_1", "acc_a", "acc_b", 100, NOW.plusSeconds(60), approve());
    assertThat(book().apply(new Settle(caller(null, null), "trf_1", true, null)).status()).isEqualTo(200);
    assertThat(a.available()).isEqualTo(-150);
    assertBroken("account acc_a: available -150 is below its overdraft limit of 0");
  }

  private void assertBroken(String invariant) {
    assertThatThrownBy(book::checkInvariants).isInstanceOf(BrokenInvariant.class).hasMessageContaining(invariant);
  }
}
