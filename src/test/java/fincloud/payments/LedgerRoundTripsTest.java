package fincloud.payments;

import static fincloud.payments.LedgerFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.idempotency.IdempotencyRecords.Key;
import fincloud.payments.LedgerCommand.Create;
import fincloud.shared.Answer;
import fincloud.shared.DatabasePool;
import fincloud.shared.PoolSettings;
import fincloud.shared.RequestContext;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.PgWireCounter;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The database work of the fast path, counted on the wire (not timed): statements and round trips
 * of the ledger's group commit, and of the read each transfer request makes before it. A change
 * that adds a statement or a round trip per transfer fails here; one that saves some should lower
 * the numbers asserted.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class LedgerRoundTripsTest {
  /**
   * BEGIN; the locked reads (accounts, key locks, the keys' stored answers and fences); the writes
   * (transfers, entries, balances, idempotency records, audit outbox); COMMIT.
   */
  static final int GROUP_STATEMENTS = 1 + 3 + 5 + 1;
  /** BEGIN with the reads, pipelined; then the writes and COMMIT, pipelined. */
  static final int GROUP_ROUND_TRIPS = 2;
  static final int GROUP = 100;

  static Vertx vertx;
  static TestNode node;
  static TestClient http;
  static LedgerFixture ledger;
  static PgWireCounter wire;
  static Pool pool;

  @BeforeAll
  static void start(Vertx testVertx) {
    vertx = testVertx;
    ledger = new LedgerFixture(http, node.pgUrl());
    wire = PgWireCounter.start(vertx, node.pgUrl());
    // the node's own pool (prepared statements cached, pipelining), through the counter, with one
    // connection: a statement is prepared once, as on a node that has been running for a while
    pool = DatabasePool.create(vertx, new PoolSettings(wire.url(), 1, 5_000, 5_000, 1_000));
  }

  @AfterAll
  static void stop() {
    pool.close().await();
    wire.close();
  }

  @Test
  void aGroupOfAHundredTransfersCostsTheDatabaseWhatALoneTransferCosts() {
    String from = ledger.funded("USD", 10_000);
    List<String> to = IntStream.range(0, 10).mapToObj(i -> ledger.open("USD")).toList();
    // connected, with its statements prepared: what a running node's pool is
    commit(List.of(transfer(from, to.get(0))));

    Counts lone = counted(() -> commit(List.of(transfer(from, to.get(1)))));
    // The first command submitted goes alone; the hundred submitted with it, in the same turn of the
    // event loop, wait for it and go together.
    List<LedgerCommand> commands = new ArrayList<>(List.of(transfer(from, to.get(1))));
    IntStream.range(0, GROUP).forEach(i -> commands.add(transfer(from, to.get(i % to.size()))));
    Counts grouped = counted(() -> commit(commands)).minus(lone);

    assertThat(lone).isEqualTo(new Counts(GROUP_STATEMENTS, GROUP_ROUND_TRIPS));
    assertThat(grouped).as("a group of %d", GROUP).isEqualTo(lone);
    ledger.assertBalance(from, 10_000 - 3 - GROUP, 0);
  }

  /**
   * Before risk, a transfer request reads its key's stored answer and its accounts: one statement,
   * one round trip; and requests that arrive while a read is under way are read together, a
   * hundred in one statement and one round trip, whether their keys were used before or not.
   */
  @Test
  void transferRequestsArrivingTogetherReadTheirKeysAndAccountsInOneStatement() {
    String from = ledger.funded("USD", 100);
    String to = ledger.open("USD");
    LedgerCommand done = transfer(from, to);
    commit(List.of(done));
    Key used = new Key("acme", done.caller().idempotencyKey());
    // connected, with the statement prepared
    arrive(List.of(new Key("acme", key())), List.of(from));

    Counts lone = counted(() -> arrive(List.of(used), List.of(from, to)));
    List<Key> keys = new ArrayList<>(List.of(new Key("acme", key()), used));
    IntStream.range(0, GROUP - 1).forEach(i -> keys.add(new Key("acme", key())));
    List<TransferRepository.Arrival> read = new ArrayList<>();
    // the first goes alone; the hundred that arrive meanwhile, in the same turn of the event loop, go together
    Counts together = counted(() -> read.addAll(arrive(keys, List.of(from, to, "acc_none"))));

    assertThat(lone).isEqualTo(new Counts(1, 1));
    assertThat(together).as("the first request, then a round of %d", GROUP).isEqualTo(new Counts(2, 2));
    assertThat(read.get(1).prior().answer().status()).isEqualTo(201);
    assertThat(read.get(1).accounts()).containsOnlyKeys(from, to);
    assertThat(read.get(2).prior()).isNull();
    assertThat(read.get(2).accounts().get(from).posted).isEqualTo(99);
    assertThat(read.get(2).accounts()).containsOnlyKeys(from, to);
  }

  /** One read per key, all submitted in one turn of the event loop, each naming the accounts. */
  private static List<TransferRepository.Arrival> arrive(List<Key> keys, List<String> accountIds) {
    Promise<List<TransferRepository.Arrival>> all = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      ArrivalReads reads = new ArrivalReads(pool);
      List<Future<TransferRepository.Arrival>> arrivals = keys.stream().map(key -> reads.read(key, accountIds)).toList();
      Future.all(arrivals).map(done -> arrivals.stream().map(Future::result).toList()).onComplete(all);
    });
    return all.future().await();
  }

  private record Counts(long statements, long roundTrips) {
    Counts minus(Counts other) {
      return new Counts(statements - other.statements, roundTrips - other.roundTrips);
    }
  }

  private static Counts counted(Runnable work) {
    long statements = wire.statements();
    long roundTrips = wire.roundTrips();
    work.run();
    return new Counts(wire.statements() - statements, wire.roundTrips() - roundTrips);
  }

  /** Submits the commands in one go to a writer with one group in flight; all must be created. */
  private static void commit(List<LedgerCommand> commands) {
    Context context = vertx.getOrCreateContext();
    Promise<List<Answer>> all = Promise.promise();
    List<Integer> groups = new ArrayList<>();
    context.runOnContext(v -> {
      LedgerWriter writer = new LedgerWriter(pool, 500, 1, 1000, (size, nanos) -> groups.add(size));
      List<Future<Answer>> answers = commands.stream().map(writer::submit).toList();
      Future.all(answers).map(done -> answers.stream().map(Future::result).toList())
          .eventually(writer::close).onComplete(all);
    });
    List<Answer> answers = all.future().await();
    assertThat(answers.stream().map(Answer::status)).containsOnly(201);
    assertThat(groups).as("groups").containsExactly(commands.size() == 1 ? new Integer[] {1}
        : new Integer[] {1, commands.size() - 1});
  }

  private static LedgerCommand transfer(String debit, String credit) {
    String key = key();
    RequestContext caller = new RequestContext(key, "acme", "acme-teller", Set.of("transfers:write"), "127.0.0.1",
        key, "hash-" + key, System.currentTimeMillis());
    TransferItem item = new TransferItem(debit, credit, 1, "USD", TransferMode.IMMEDIATE, null, null,
        new JsonObject(), null);
    return new Create(caller, List.of(item), false, null);
  }
}
