package fincloud.payments;

import static fincloud.payments.LedgerFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import fincloud.payments.LedgerCommand.Create;
import fincloud.payments.LedgerCommand.Settle;
import fincloud.shared.Answer;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Batches inside the ledger writer's group commit, made deterministic: with one group in flight,
 * everything submitted while the first command commits goes into the next group together.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class LedgerWriterGroupTest {
  static Vertx vertx;
  static TestNode node;
  static TestClient http;
  static LedgerFixture ledger;
  static Pool pool;

  @BeforeAll
  static void start(Vertx testVertx) {
    vertx = testVertx;
    ledger = new LedgerFixture(http, node.pgUrl());
    pool = PgBuilder.pool().connectingTo(node.pgUrl()).using(vertx).build();
  }

  @AfterAll
  static void stop() {
    pool.close().await();
  }

  @Test
  void aRefusedBatchLeavesItsGroupAndItsNeighboursIntact() {
    String a = ledger.funded("USD", 100);
    String b = ledger.open("USD");
    String c = ledger.open("USD");
    List<Integer> groups = Collections.synchronizedList(new ArrayList<>());

    List<Answer> answers = submitTogether(500, groups, List.of(
        create(item(a, b, 10)),
        // refused at its last item, after its first two moved money in memory
        create(item(a, c, 50), item(c, b, 50), item(b, a, 1000)),
        create(item(a, c, 20)),
        // b got 10 from the first command; 30 more here, and 35 of it moves on
        create(item(a, b, 30), item(b, c, 35)),
        create(item(c, a, 5))));

    assertThat(groups).containsExactly(1, 4);
    assertThat(answers.stream().map(Answer::status)).containsExactly(201, 422, 201, 201, 201);
    assertThat(answers.get(1).body().getString("code")).isEqualTo("INSUFFICIENT_FUNDS");
    assertThat(answers.get(1).body().getInteger("index")).isEqualTo(2);
    assertThat(answers.get(3).body().getJsonArray("transfers")).hasSize(2);
    ledger.assertBalance(a, 45, 0);
    ledger.assertBalance(b, 5, 0);
    ledger.assertBalance(c, 50, 0);
    assertThat(ledger.transferRows(List.of(a, b, c))).isEqualTo(1 + 1 + 1 + 2 + 1);
    assertThat(ledger.entryRows(List.of(a, b, c))).isEqualTo(2 * 6 - 1);
  }

  @Test
  void aGroupIsBoundedByTransfersButABatchIsNeverSplit() {
    String a = ledger.funded("USD", 100);
    String b = ledger.open("USD");
    List<Integer> groups = Collections.synchronizedList(new ArrayList<>());

    List<Answer> answers = submitTogether(3, groups, List.of(
        create(item(a, b, 1)),
        create(item(a, b, 1), item(a, b, 1), item(a, b, 1), item(a, b, 1), item(a, b, 1)),
        create(item(a, b, 1)),
        create(item(a, b, 1), item(a, b, 1)),
        create(item(a, b, 1))));

    assertThat(groups).containsExactly(1, 1, 2, 1);
    assertThat(answers.stream().map(Answer::status)).containsOnly(201);
    ledger.assertBalance(b, 10, 0);
  }

  /**
   * An attempt received before its key was fenced (the risk fallback refused a later attempt
   * while this one was still on its way) applies nothing; one received after the fence moves money.
   */
  @Test
  void anAttemptOvertakenByAFallbackRefusalOfItsKeyAppliesNothing() {
    String a = ledger.funded("USD", 100);
    String b = ledger.open("USD");
    String key = key();
    long received = System.currentTimeMillis();
    pool.query("INSERT INTO idempotency_fences (tenant, key, fenced_at) VALUES ('acme', '" + key
        + "', now() + interval '5 seconds')").execute().await();
    List<Answer> answers = submitTogether(500, new ArrayList<>(), List.of(
        new Create(caller(key, received), List.of(item(a, b, 10)), false, null)));
    assertThat(answers.get(0).status()).as(answers.get(0).body().encode()).isEqualTo(503);
    ledger.assertBalance(a, 100, 0);
    assertThat(ledger.transferRows(List.of(b))).isZero();

    List<Answer> later = submitTogether(500, new ArrayList<>(), List.of(
        new Create(caller(key, received + 60_000), List.of(item(a, b, 10)), false, null)));
    assertThat(later.get(0).status()).as(later.get(0).body().encode()).isEqualTo(201);
    ledger.assertBalance(a, 90, 0);
  }

  /**
   * A command whose decision breaks a ledger invariant (here it voids a hold that its account's
   * pending never carried, which would leave pending negative) fails its group before anything is
   * written; the group's commands are then tried one by one, so its neighbours commit and it alone
   * is answered 503, logged as an error.
   */
  @Test
  void aCommandThatBreaksAnInvariantIsAnswered503WhileItsNeighboursCommit() {
    String a = ledger.funded("USD", 100);
    String b = ledger.open("USD");
    String c = ledger.open("USD");
    String lost = "trf_lost_" + key().replace("-", "");
    pool.preparedQuery("INSERT INTO transfers (id, tenant, debit_account_id, credit_account_id, amount, currency, "
        + "mode, status, created_at, expires_at) VALUES ($1, 'acme', $2, $3, 30, 'USD', 'PENDING', 'PENDING', now(), "
        + "now() + interval '1 day')").execute(Tuple.of(lost, a, b)).await();
    List<Integer> groups = Collections.synchronizedList(new ArrayList<>());
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger writerLog = (Logger) LoggerFactory.getLogger(LedgerWriter.class);
    writerLog.addAppender(log);
    List<Answer> answers;
    try {
      answers = submitTogether(500, groups, List.of(
          create(item(a, b, 10)),
          new Settle(caller(key(), System.currentTimeMillis()), lost, false, null),
          create(item(a, c, 20)),
          create(item(b, c, 5))));
    } finally {
      writerLog.detachAppender(log);
    }

    assertThat(answers.stream().map(Answer::status)).containsExactly(201, 503, 201, 201);
    assertThat(answers.get(1).body().getString("code")).isEqualTo("UNAVAILABLE");
    // the first alone, then the failed group of three again one by one: two of them commit
    assertThat(groups).containsExactly(1, 1, 1);
    ledger.assertBalance(a, 70, 0);
    ledger.assertBalance(b, 5, 0);
    ledger.assertBalance(c, 25, 0);
    assertThat(ledger.transferById(lost).getString("status")).isEqualTo("PENDING");
    assertThat(log.list).filteredOn(e -> e.getLevel() == Level.ERROR).singleElement().satisfies(e ->
        assertThat(e.getThrowableProxy().getMessage()).isEqualTo("account " + a + ": pending -30 is negative"));
  }

  /**
   * The writes go with COMMIT behind them, without waiting for their answers. A write that the
   * database refuses (here a trigger refuses one transfer's row) aborts the transaction, so that
   * COMMIT ends it without applying anything: the group is tried again one by one, its neighbours
   * commit, and the refused one alone is answered 503 with nothing of it in the books.
   */
  @Test
  void aWriteRefusedByTheDatabaseBeforeTheCommitAppliesNothingOfItsGroup() {
    String a = ledger.funded("USD", 10_000);
    String b = ledger.open("USD");
    String c = ledger.open("USD");
    pool.query("CREATE FUNCTION refuse_4343() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " IF NEW.amount = 4343 THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$").execute().await();
    pool.query("CREATE TRIGGER refuse_4343 BEFORE INSERT ON transfers FOR EACH ROW EXECUTE FUNCTION refuse_4343()")
        .execute().await();
    List<Integer> groups = Collections.synchronizedList(new ArrayList<>());
    List<Answer> answers;
    try {
      answers = submitTogether(500, groups, List.of(
          create(item(a, b, 10)),
          create(item(a, c, 20)),
          create(item(a, c, 4343)),
          create(item(b, c, 5))));
    } finally {
      pool.query("DROP TRIGGER refuse_4343 ON transfers").execute().await();
      pool.query("DROP FUNCTION refuse_4343()").execute().await();
    }

    assertThat(answers.stream().map(Answer::status)).containsExactly(201, 201, 503, 201);
    assertThat(answers.get(2).body().getString("detail")).contains("nothing was applied");
    // the first alone, then the refused group of three again one by one: two of them commit
    assertThat(groups).containsExactly(1, 1, 1);
    ledger.assertBalance(a, 9_970, 0);
    ledger.assertBalance(b, 5, 0);
    ledger.assertBalance(c, 25, 0);
    // its funding, and the three that committed
    assertThat(ledger.transferRows(List.of(a, b, c))).isEqualTo(1 + 3);
  }

  /**
   * Submits the commands in one go on an event loop to a writer with one group in flight; a command
   * the writer fails is answered as the payments service answers it.
   */
  private static List<Answer> submitTogether(int maxGroup, List<Integer> groups, List<LedgerCommand> commands) {
    Context context = vertx.getOrCreateContext();
    Promise<List<Answer>> all = Promise.promise();
    context.runOnContext(v -> {
      LedgerWriter writer = new LedgerWriter(pool, maxGroup, 1, 1000, (size, nanos) -> groups.add(size));
      List<Future<Answer>> answers = commands.stream().map(command -> writer.submit(command)
          .recover(failure -> failure instanceof ServiceException refusal
              ? Future.succeededFuture(refusal.toAnswer(command.caller().requestId()))
              : Future.failedFuture(failure))).toList();
      Future.all(answers).map(done -> answers.stream().map(Future::result).toList())
          .eventually(writer::close).onComplete(all);
    });
    return all.future().await();
  }

  private static LedgerCommand create(TransferItem... items) {
    return new Create(caller(key(), System.currentTimeMillis()), List.of(items), items.length > 1, null);
  }

  private static RequestContext caller(String key, long receivedAtMs) {
    return new RequestContext(key, "acme", "acme-teller", Set.of("transfers:write"), "127.0.0.1", key,
        "hash-" + key, receivedAtMs);
  }

  private static TransferItem item(String debit, String credit, long amount) {
    return new TransferItem(debit, credit, amount, "USD", TransferMode.IMMEDIATE, null, null, new JsonObject(), null);
  }
}
