package fincloud.payments;

import static fincloud.payments.LedgerFixture.TELLER;
import static fincloud.payments.LedgerFixture.holdRequest;
import static fincloud.payments.LedgerFixture.key;
import static fincloud.payments.LedgerFixture.transferRequest;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestClock;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many clients at once, over HTTP, on a few accounts: immediate transfers, holds (some expiring
 * during the run), posts in full and in part, voids, replays and batches, so that the ledger
 * writer groups them. Afterwards the books must agree to the cent with what the API answered.
 * Its own node: it reads the whole tenant's transfers and trial balance; the node's clock is moved
 * past the last one-second holds instead of waiting for them.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class HoldsConcurrencyTest {
  private static final Logger LOG = LoggerFactory.getLogger(HoldsConcurrencyTest.class);
  static final int ACCOUNTS = 8;
  static final long FUNDED = 10_000;
  static final int WORKERS = 12;
  static final int OPERATIONS_PER_WORKER = 40;
  static final int SHORT_HOLD_SECONDS = 1;
  /** Sweep often, so that the short holds are voided soon after the clock passes their expiry. */
  static final JsonObject FAST_SWEEP = new JsonObject().put("ledger", new JsonObject().put("expiryIntervalMs", 100));
  static final TestClock CLOCK = new TestClock();

  static TestNode node;
  static TestClient http;
  static LedgerFixture ledger;
  static WebClient web;

  final List<String> accounts = new ArrayList<>();
  final Set<String> created = ConcurrentHashMap.newKeySet();
  final List<String> openHolds = new CopyOnWriteArrayList<>();
  final Map<String, Long> heldAmounts = new ConcurrentHashMap<>();
  final Set<String> shortHolds = ConcurrentHashMap.newKeySet();
  final List<String> unattended = new ArrayList<>();
  final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, FAST_SWEEP, TestDatabase.freshDatabase(), CLOCK);
  }

  @BeforeAll
  static void connect(Vertx vertx) {
    ledger = new LedgerFixture(http, node.pgUrl());
    web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.port())
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(WORKERS * 2));
  }

  @AfterAll
  static void stop() {
    web.close();
  }

  @Test
  void holdsPostedAndVoidedAtRandomKeepTheBooksExact() throws Exception {
    for (int i = 0; i < ACCOUNTS; i++) {
      accounts.add(ledger.funded("USD", FUNDED));
    }
    // A few holds that nobody settles: the system must void them during the run.
    for (int i = 0; i < 3; i++) {
      unattended.add(ledger.hold(accounts.get(i), accounts.get(i + 1), 100, "USD", SHORT_HOLD_SECONDS).getString("id"));
    }
    shortHolds.addAll(unattended);
    String token = http.token(TELLER);
    long seed = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      Random random = new Random(seed + w);
      workers.add(pool.submit(() -> {
        for (int i = 0; i < OPERATIONS_PER_WORKER; i++) {
          try {
            step(random, token);
          } catch (Throwable t) {
            failures.add(t.toString());
          }
        }
      }));
    }
    long started = System.nanoTime();
    for (Future<?> worker : workers) {
      worker.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
    LOG.info("{} operations by {} clients in {} ms (seed {})", WORKERS * OPERATIONS_PER_WORKER, WORKERS,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), seed);
    assertThat(failures).as("unexpected answers (seed " + seed + ")").isEmpty();

    // Past the short holds' expiry, so that nothing changes while the books are read.
    CLOCK.advance(Duration.ofSeconds(SHORT_HOLD_SECONDS + 1));
    Eventually.until("short holds are expired", Duration.ofSeconds(30), () -> shortHolds.stream()
        .noneMatch(id -> ledger.transferById(id).getString("status").equals("PENDING")));
    assertBooksAgree();
    for (String id : unattended) {
      assertThat(ledger.transferById(id).getString("voidReason")).isEqualTo("EXPIRED");
    }
  }

  /** One random operation, checking that its answer is one the API allows. */
  private void step(Random random, String token) {
    int dice = random.nextInt(100);
    if (dice < 25) {
      expect(send(token, "/v1/transfers", pair(random, false), key()), 201, 422);
    } else if (dice < 50) {
      boolean expiresSoon = random.nextInt(10) == 0;
      JsonObject hold = pair(random, true);
      if (expiresSoon) {
        hold.put("expiresInSeconds", SHORT_HOLD_SECONDS);
      }
      JsonObject answer = expect(send(token, "/v1/transfers", hold, key()), 201, 422);
      if (answer != null && expiresSoon) {
        shortHolds.add(answer.getString("id"));
      }
    } else if (dice < 85) {
      settle(random, token);
    } else {
      JsonArray items = new JsonArray();
      for (int i = 2 + random.nextInt(5); i > 0; i--) {
        items.add(pair(random, random.nextBoolean()));
      }
      expect(send(token, "/v1/transfers/batch", new JsonObject().put("transfers", items), key()), 201, 422);
    }
  }

  /** Posts (in full or in part) or voids a hold that was open a moment ago; sometimes replays. */
  private void settle(Random random, String token) {
    if (openHolds.isEmpty()) {
      return;
    }
    String id = openHolds.get(random.nextInt(openHolds.size()));
    boolean post = random.nextBoolean();
    JsonObject body = null;
    if (post && random.nextBoolean()) {
      body = new JsonObject().put("amount", 1 + random.nextLong(heldAmounts.get(id)));
    }
    String path = "/v1/transfers/" + id + (post ? "/post" : "/void");
    String key = key();
    HttpResponse<Buffer> first = send(token, path, body, key);
    // 409: another client settled it first (or it expired); both are the API's answers.
    if (expect(first, 200, 409) == null) {
      openHolds.remove(id);
    }
    if (random.nextInt(4) == 0) {
      HttpResponse<Buffer> again = send(token, path, body, key);
      if (again.statusCode() != first.statusCode() || !"true".equals(again.getHeader("Idempotent-Replayed"))
          || !again.bodyAsJsonObject().equals(first.bodyAsJsonObject())) {
        failures.add("replay of " + path + " answered " + again.statusCode() + " " + again.bodyAsString());
      }
    }
  }

  private JsonObject pair(Random random, boolean hold) {
    int debit = random.nextInt(ACCOUNTS);
    int credit = (debit + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
    long amount = 1 + random.nextInt(500);
    return hold ? holdRequest(accounts.get(debit), accounts.get(credit), amount, "USD", null)
        : transferRequest(accounts.get(debit), accounts.get(credit), amount, "USD");
  }

  private HttpResponse<Buffer> send(String token, String path, JsonObject body, String key) {
    var request = web.post(path).bearerTokenAuthentication(token).putHeader("Idempotency-Key", key);
    return body == null ? request.send().await() : request.sendJsonObject(body).await();
  }

  /** Records what was created; a 422 must be a lack of funds. Answers the body of a success, else null. */
  private JsonObject expect(HttpResponse<Buffer> response, int success, int refusal) {
    int status = response.statusCode();
    if (status == refusal) {
      String code = response.bodyAsJsonObject().getString("code");
      if (!code.equals(refusal == 422 ? "INSUFFICIENT_FUNDS" : "INVALID_STATE")) {
        failures.add("refused with " + status + " " + response.bodyAsString());
      }
      return null;
    }
    if (status != success) {
      failures.add("answered " + status + " " + response.bodyAsString());
      return null;
    }
    JsonObject body = response.bodyAsJsonObject();
    List<JsonObject> transfers = body.containsKey("transfers")
        ? body.getJsonArray("transfers").stream().map(JsonObject.class::cast).toList() : List.of(body);
    for (JsonObject transfer : transfers) {
      created.add(transfer.getString("id"));
      if (transfer.getString("status").equals("PENDING")) {
        heldAmounts.put(transfer.getString("id"), transfer.getLong("amount"));
        openHolds.add(transfer.getString("id"));
      } else if (success == 200) {
        openHolds.remove(transfer.getString("id"));
      }
    }
    return body;
  }

  /** Every account, the trial balance and the outbox agree with the transfers the API shows. */
  private void assertBooksAgree() {
    List<JsonObject> transfers = allTransfers();
    Map<String, long[]> expected = new HashMap<>();
    long posted = 0;
    long held = 0;
    for (JsonObject t : transfers) {
      assertThat(t.getString("currency")).isEqualTo("USD");
      long[] debit = expected.computeIfAbsent(t.getString("debitAccountId"), k -> new long[2]);
      long[] credit = expected.computeIfAbsent(t.getString("creditAccountId"), k -> new long[2]);
      switch (t.getString("status")) {
        case "POSTED" -> {
          long amount = t.getLong("postedAmount");
          assertThat(amount).isBetween(1L, t.getLong("amount"));
          debit[0] -= amount;
          credit[0] += amount;
          posted++;
        }
        case "PENDING" -> {
          debit[1] += t.getLong("amount");
          held += t.getLong("amount");
          assertThat(Instant.parse(t.getString("expiresAt"))).as("a pending hold is not past its expiry")
              .isAfter(CLOCK.instant());
        }
        case "VOIDED" -> {
          assertThat(t.getString("voidReason")).isIn("REQUESTED", "EXPIRED");
        }
        default -> throw new AssertionError(t.encode());
      }
    }
    long total = 0;
    for (String account : accounts) {
      long[] sums = expected.get(account);
      ledger.assertBalance(account, sums[0], sums[1]);
      assertThat(sums[0] - sums[1]).as("available of " + account).isNotNegative();
      total += sums[0];
    }
    assertThat(total).as("money among the accounts").isEqualTo(ACCOUNTS * FUNDED);
    JsonObject books = ledger.trialBalance("USD");
    assertThat(books.getLong("sumPosted")).isZero();
    assertThat(books.getLong("sumPending")).isEqualTo(held);
    assertThat(books.getLong("postedTransfers")).isEqualTo(posted);
    assertThat(books.getLong("entries")).isEqualTo(2 * posted);
    // One outbox row per state a transfer reached, in the transaction that made it reach it
    // (refused posts and voids of a hold are audited too, with success false).
    assertThat(ledger.count("""
        SELECT count(*) FROM transfers t WHERE (SELECT count(*) FROM %s o WHERE o.entity_id = t.id
          AND o.action = 'TRANSFER_' || t.status AND o.success) <> 1""".formatted(TestSql.AUDIT_FACTS))).as("transfers without exactly one outbox row").isZero();
    assertThat(ledger.count("""
        SELECT count(*) FROM (SELECT entity_id FROM %s AS facts WHERE action IN ('TRANSFER_POSTED', 'TRANSFER_VOIDED')
          AND success GROUP BY entity_id HAVING count(*) > 1) settled_twice""".formatted(TestSql.AUDIT_FACTS))).isZero();
    LOG.info("{} transfers: {} posted, {} voided, {} pending", transfers.size(), posted,
        transfers.stream().filter(t -> t.getString("status").equals("VOIDED")).count(),
        transfers.stream().filter(t -> t.getString("status").equals("PENDING")).count());
  }

  /** Every transfer of the (fresh) database's acme tenant, through the list's pages. */
  private List<JsonObject> allTransfers() {
    List<JsonObject> all = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = http.get(TELLER, "/v1/transfers?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor))
          .bodyAsJsonObject();
      page.getJsonArray("items").forEach(t -> all.add((JsonObject) t));
      cursor = page.getString("nextCursor");
    } while (cursor != null);
    assertThat(all.stream().map(t -> t.getString("id"))).as("the transfers the API said it made, and no other")
        .containsAll(created).hasSize(created.size() + ACCOUNTS + 3);
    return all;
  }
}
