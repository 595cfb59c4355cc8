package fincloud.payments;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Funds;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 32 clients move money at random among 20 accounts for a bounded time (system property
 * {@code fincloud.concurrency.seconds}, default 15), some retrying with the same key. Afterwards the
 * books must balance exactly against what the clients were told: every acknowledged transfer is
 * posted once, nothing else is, no balance is below its limit, and the trial balance holds.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class LedgerConcurrencyTest {
  private static final int CLIENTS = 32;
  private static final int ACCOUNTS = 20;
  private static final long OPENING = 10_000;
  private static final String TELLER = "acme-teller";

  static TestNode node;
  static TestClient http;

  /** Its own node: it reads the trial balance and every entry of the database. */
  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx);
  }

  /** One acknowledged transfer as the client saw it. */
  private record Acked(String id, int from, int to, long amount) {
  }

  @Test
  void randomConcurrentTransfersKeepTheBooksExact() {
    List<String> ids = new ArrayList<>();
    long[] limits = new long[ACCOUNTS];
    String funding = Funds.fundingAccount(http, "EUR");
    for (int i = 0; i < ACCOUNTS; i++) {
      limits[i] = i % 4 == 0 ? 2_000 : 0;
      String id = http.openAccount(Funds.ADMIN, new JsonObject().put("currency", "EUR").put("overdraftLimit", limits[i]))
          .getString("id");
      assertThat(http.transfer(Funds.ADMIN, funding, id, OPENING, "EUR").statusCode()).isEqualTo(201);
      ids.add(id);
    }

    Queue<Acked> acked = new ConcurrentLinkedQueue<>();
    Queue<String> unexpected = new ConcurrentLinkedQueue<>();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger replayed = new AtomicInteger();
    AtomicInteger snapshots = new AtomicInteger();
    AtomicInteger declined = new AtomicInteger();
    long seconds = Long.getLong("fincloud.concurrency.seconds", 15);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String token = http.token(TELLER);
    Vertx clientVertx = Vertx.vertx();
    WebClient web = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(node.port()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(CLIENTS));
    try {
      List<Future<Void>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        Client client = new Client(web, token, ids, new Random(1000 + c), deadline, acked, unexpected, refused,
            declined, replayed);
        clients.add(client.run());
      }
      clients.add(new Auditor(web, http.token("acme-auditor"), deadline, snapshots, unexpected).run());
      Future.all(clients).await();
    } finally {
      web.close();
      clientVertx.close().await();
    }

    System.out.printf("concurrency: %d acknowledged, %d refused, %d declined by the risk fallback, %d replays, "
        + "%d trial balances in %d s%n", acked.size(), refused.get(), declined.get(), replayed.get(), snapshots.get(),
        seconds);
    assertThat(unexpected).as("answers other than 201, INSUFFICIENT_FUNDS and the risk fallback").isEmpty();
    assertThat(acked.size()).as("transfers acknowledged").isGreaterThan(100);
    assertThat(refused.get()).as("INSUFFICIENT_FUNDS refusals").isGreaterThan(0);
    assertThat(replayed.get()).as("replays checked").isGreaterThan(0);
    assertThat(snapshots.get()).as("trial balances taken during the run").isGreaterThan(0);

    // The balances are exactly those of the acknowledged transfers, each applied once.
    long[] expected = new long[ACCOUNTS];
    java.util.Arrays.fill(expected, OPENING);
    for (Acked t : acked) {
      expected[t.from()] -= t.amount();
      expected[t.to()] += t.amount();
    }
    long sum = 0;
    for (int i = 0; i < ACCOUNTS; i++) {
      JsonObject balance = Funds.balance(http, TELLER, ids.get(i));
      assertThat(balance.getLong("posted")).as("account %s", i).isEqualTo(expected[i]);
      assertThat(balance.getLong("pending")).isZero();
      assertThat(balance.getLong("available")).as("account %s within its limit", i).isGreaterThanOrEqualTo(-limits[i]);
      sum += balance.getLong("posted");
    }
    assertThat(sum).as("money is conserved").isEqualTo(ACCOUNTS * OPENING);

    JsonObject eur = http.get("acme-auditor", "/v1/ledger/trial-balance").bodyAsJsonObject().getJsonArray("currencies")
        .getJsonObject(0);
    assertThat(eur.getString("currency")).isEqualTo("EUR");
    assertThat(eur.getLong("sumPosted")).isZero();
    assertThat(eur.getLong("postedTransfers")).isEqualTo(ACCOUNTS + acked.size());
    assertThat(eur.getLong("entries")).isEqualTo(2L * eur.getLong("postedTransfers"));

    // Behind the API: the posted transfers are exactly the acknowledged ones, each with two entries.
    Set<String> ackedIds = new HashSet<>();
    acked.forEach(t -> ackedIds.add(t.id()));
    assertThat(ackedIds).as("no id acknowledged twice").hasSize(acked.size());
    Set<String> postedIds = new HashSet<>();
    TestSql.rows(node.pgUrl(), "SELECT id FROM transfers WHERE status = 'POSTED' AND debit_account_id <> ?", funding)
        .forEach(row -> postedIds.add((String) row.get("id")));
    assertThat(postedIds).isEqualTo(ackedIds);
    assertThat(TestSql.number(node.pgUrl(), """
        SELECT count(*) FROM transfers t WHERE NOT (
          (SELECT count(*) FROM entries e WHERE e.transfer_id = t.id AND e.side = 'DEBIT'
             AND e.account_id = t.debit_account_id AND e.amount = t.posted_amount) = 1
          AND (SELECT count(*) FROM entries e WHERE e.transfer_id = t.id AND e.side = 'CREDIT'
             AND e.account_id = t.credit_account_id AND e.amount = t.posted_amount) = 1
          AND (SELECT count(*) FROM entries e WHERE e.transfer_id = t.id) = 2)""")).as("transfers without their two entries")
        .isZero();
    // Each account's entries, in order, run from zero to its balance through their balanceAfter.
    Map<String, Long> running = new HashMap<>();
    for (Map<String, Object> entry : TestSql.rows(node.pgUrl(),
        "SELECT account_id, side, amount, balance_after FROM entries ORDER BY id")) {
      String account = (String) entry.get("account_id");
      long amount = ((Number) entry.get("amount")).longValue();
      long after = running.merge(account, entry.get("side").equals("DEBIT") ? -amount : amount, Long::sum);
      assertThat(((Number) entry.get("balance_after")).longValue()).as("balanceAfter on %s", account).isEqualTo(after);
    }
    for (int i = 0; i < ACCOUNTS; i++) {
      assertThat(running.get(ids.get(i))).isEqualTo(expected[i]);
    }
  }

  /** Takes trial balances while money moves: each must be one consistent snapshot. */
  private record Auditor(WebClient web, String token, long deadline, AtomicInteger snapshots,
      Queue<String> unexpected) {

    Future<Void> run() {
      Promise<Void> finished = Promise.promise();
      next(finished);
      return finished.future();
    }

    private void next(Promise<Void> finished) {
      if (System.nanoTime() > deadline) {
        finished.complete();
        return;
      }
      web.get("/v1/ledger/trial-balance").bearerTokenAuthentication(token).timeout(30_000).send()
          .onSuccess(response -> {
            snapshots.incrementAndGet();
            JsonObject eur = response.statusCode() == 200
                ? response.bodyAsJsonObject().getJsonArray("currencies").getJsonObject(0) : null;
            if (eur == null || eur.getLong("sumPosted") != 0 || eur.getLong("sumPending") != 0
                || eur.getLong("entries") != 2 * eur.getLong("postedTransfers")) {
              unexpected.add("trial balance: " + response.statusCode() + " " + response.bodyAsString());
            }
          })
          .onFailure(failure -> unexpected.add("trial balance transport: " + failure))
          .onComplete(done -> next(finished));
    }
  }

  /** One client: a transfer at a time until the deadline; now and then the same request again. */
  private record Client(WebClient web, String token, List<String> ids, Random random, long deadline,
      Queue<Acked> acked, Queue<String> unexpected, AtomicInteger refused, AtomicInteger declined,
      AtomicInteger replayed) {

    Future<Void> run() {
      Promise<Void> finished = Promise.promise();
      next(finished);
      return finished.future();
    }

    /** Each transfer starts from the previous one's callback, so that no future chain grows. */
    private void next(Promise<Void> finished) {
      if (System.nanoTime() > deadline) {
        finished.complete();
        return;
      }
      transferOnce().onComplete(done -> next(finished));
    }

    private Future<Void> transferOnce() {
      int from = random.nextInt(ACCOUNTS);
      int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
      long amount = 1 + random.nextInt(4_000);
      String key = UUID.randomUUID().toString();
      JsonObject body = new JsonObject().put("debitAccountId", ids.get(from)).put("creditAccountId", ids.get(to))
          .put("amount", amount).put("currency", "EUR");
      return send(key, body).compose(response -> {
        if (response.statusCode() == 201) {
          String id = response.bodyAsJsonObject().getString("id");
          acked.add(new Acked(id, from, to, amount));
          if (random.nextInt(10) == 0) {
            return send(key, body).map(again -> {
              replayed.incrementAndGet();
              if (again.statusCode() != 201 || !"true".equals(again.getHeader("Idempotent-Replayed"))
                  || !id.equals(again.bodyAsJsonObject().getString("id"))) {
                unexpected.add("replay: " + again.statusCode() + " " + again.bodyAsString());
              }
              return null;
            });
          }
        } else if (response.statusCode() == 422
            && "INSUFFICIENT_FUNDS".equals(response.bodyAsJsonObject().getString("code"))) {
          refused.incrementAndGet();
        } else if (response.statusCode() == 422 && isRiskFallback(response.bodyAsJsonObject())) {
          // Risk did not answer within its deadline (an overloaded machine): declined, nothing moved.
          declined.incrementAndGet();
        } else {
          unexpected.add(response.statusCode() + " " + response.bodyAsString());
        }
        return Future.succeededFuture();
      }).recover(failure -> {
        unexpected.add("transport: " + failure);
        return Future.succeededFuture();
      }).mapEmpty();
    }

    private static boolean isRiskFallback(JsonObject problem) {
      return "RISK_DECLINED".equals(problem.getString("code")) && problem.getJsonArray("reasons") != null
          && problem.getJsonArray("reasons").stream().anyMatch(r -> "FALLBACK".equals(((JsonObject) r).getString("type")));
    }

    private Future<HttpResponse<Buffer>> send(String key, JsonObject body) {
      return web.post("/v1/transfers").bearerTokenAuthentication(token).putHeader("Idempotency-Key", key)
          .timeout(30_000).sendJsonObject(body);
    }
  }
}
