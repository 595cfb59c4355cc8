package fincloud.payments;

import static fincloud.payments.LedgerFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.payments.LedgerCommand.Create;
import fincloud.shared.Answer;
import fincloud.shared.RequestContext;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Batches inside the ledger writer's group commit, made deterministic: with one group in flight,
 * everything submitted while the first command commits goes into the next group together.
 */
@ExtendWith(VertxExtension.class)
class LedgerWriterGroupTest {
  static Vertx vertx;
  static TestNode node;
  static TestClient http;
  static LedgerFixture ledger;
  static Pool pool;

  @BeforeAll
  static void start(Vertx testVertx) {
    vertx = testVertx;
    node = TestNode.start(vertx);
    http = node.client();
    ledger = new LedgerFixture(http, node.pgUrl());
    pool = PgBuilder.pool().connectingTo(node.pgUrl()).using(vertx).build();
  }

  @AfterAll
  static void stop() {
    pool.close().await();
    http.close();
    node.stop();
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

  /** Submits the commands in one go on an event loop to a writer with one group in flight. */
  private static List<Answer> submitTogether(int maxGroup, List<Integer> groups, List<LedgerCommand> commands) {
    Context context = vertx.getOrCreateContext();
    Promise<List<Answer>> all = Promise.promise();
    context.runOnContext(v -> {
      LedgerWriter writer = new LedgerWriter(pool, maxGroup, 1, 1000, (size, nanos) -> groups.add(size));
      List<Future<Answer>> answers = commands.stream().map(writer::submit).toList();
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
