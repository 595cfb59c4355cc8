package fincloud.payments;

import fincloud.idempotency.IdempotencyRecords.Key;
import fincloud.idempotency.IdempotencyRecords;
import fincloud.payments.LedgerCommand.Create;
import fincloud.payments.LedgerCommand.Expire;
import fincloud.payments.LedgerCommand.Settle;
import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import fincloud.shared.StageTimes;
import fincloud.shared.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: commands that arrive while earlier groups are committing wait in a queue and go
 * together into the next database transaction, so that one commit (one fsync) serves many money
 * movements. Under light load a command is a group of one and waits for nothing; under heavy load
 * groups grow up to {@code maxGroup} transfers. A command is never split: a batch goes whole into
 * one group, and the book takes back all of its effects if one item is refused. Each command still
 * gets its own answer: a refused transfer or batch does not fail its neighbours. Used from one
 * event loop (the payments verticle's).
 */
public final class LedgerWriter {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerWriter.class);

  private record Waiting(LedgerCommand command, Promise<Answer> answer, boolean alone, long submitted) {
  }

  /** Sizes and timings of committed groups, for metrics. */
  public interface GroupListener {
    void committed(int commands, long nanos);
  }

  private final Pool pool;
  private final Clock clock;
  private final int maxGroup;
  private final int maxInFlight;
  private final int maxQueue;
  private final GroupListener listener;
  private final Deque<Waiting> queue = new ArrayDeque<>();
  private int inFlight;
  /** Copies of the queue's length and of inFlight for gauges, which read them from other threads. */
  private volatile int queuedNow;
  private volatile int inFlightNow;
  private boolean closed;
  private Promise<Void> drained;

  public LedgerWriter(Pool pool, int maxGroup, int maxInFlight, int maxQueue, GroupListener listener) {
    this(pool, maxGroup, maxInFlight, maxQueue, listener, Clock.systemUTC());
  }

  /** @param clock what "now" is for the book (creation, settlement, expiry): the system's, or a test's */
  public LedgerWriter(Pool pool, int maxGroup, int maxInFlight, int maxQueue, GroupListener listener, Clock clock) {
    this.clock = clock;
    this.pool = pool;
    this.maxGroup = maxGroup;
    this.maxInFlight = maxInFlight;
    this.maxQueue = maxQueue;
    this.listener = listener;
  }

  public Future<Answer> submit(LedgerCommand command) {
    if (closed || queue.size() >= maxQueue) {
      return Future.failedFuture(new ServiceException(ErrorCode.UNAVAILABLE,
          closed ? "the node is shutting down" : "the ledger is overloaded"));
    }
    Promise<Answer> answer = Promise.promise();
    queue.add(new Waiting(command, answer, false, System.nanoTime()));
    drain();
    return answer.future();
  }

  /** Takes no more commands, and completes when those already taken are committed or failed. */
  public Future<Void> close() {
    closed = true;
    drained = Promise.promise();
    checkDrained();
    return drained.future();
  }

  /** Commands waiting for a group (a gauge: any thread). */
  public int queued() {
    return queuedNow;
  }

  /** Group transactions committing now (a gauge: any thread). */
  public int groupsInFlight() {
    return inFlightNow;
  }

  private void drain() {
    try {
      startGroups();
    } finally {
      queuedNow = queue.size();
      inFlightNow = inFlight;
    }
  }

  private void startGroups() {
    while (inFlight < maxInFlight && !queue.isEmpty()) {
      List<Waiting> group = nextGroup();
      inFlight++;
      long started = System.nanoTime();
      commit(group).onComplete(done -> {
        inFlight--;
        if (done.succeeded()) {
          listener.committed(group.size(), System.nanoTime() - started);
        }
        drain();
        checkDrained();
      });
    }
  }

  private List<Waiting> nextGroup() {
    List<Waiting> group = new ArrayList<>();
    if (queue.peek().alone()) {
      group.add(queue.poll());
      return group;
    }
    int weight = 0;
    while (!queue.isEmpty() && !queue.peek().alone()
        && (group.isEmpty() || weight + weight(queue.peek().command()) <= maxGroup)) {
      weight += weight(queue.peek().command());
      group.add(queue.poll());
    }
    return group;
  }

  /**
   * A group is bounded by the transfers it touches, not by its commands: a batch of 1000 items is
   * one unit (never split across groups) but weighs as much as 1000 single transfers.
   */
  private static int weight(LedgerCommand command) {
    return command instanceof Create create ? create.items().size() : 1;
  }

  private Future<Void> commit(List<Waiting> group) {
    List<LedgerCommand> commands = group.stream().map(Waiting::command).toList();
    long started = System.nanoTime();
    // Set once COMMIT is sent: what fails after that, unless the database refused a write, may
    // have been applied.
    boolean[] committing = {false};
    return pool.withConnection(connection -> inTransaction(connection, commands, committing))
        .onSuccess(answers -> {
          long now = System.nanoTime();
          for (int i = 0; i < group.size(); i++) {
            Waiting w = group.get(i);
            StageTimes.record(w.command().caller(), "ledger", now - w.submitted());
            StageTimes.record(w.command().caller(), "database", now - started);
            w.answer().complete(answers.get(i));
          }
        })
        .onFailure(failure -> {
          if (committing[0]) {
            outcomeUnknown(group, failure);
          } else {
            retryOrFail(group, failure);
          }
        })
        .mapEmpty();
  }

  /**
   * The group's transaction in two round trips: BEGIN sent ahead of the locked reads, then the
   * writes with COMMIT behind them, without waiting for their answers. A write that the database
   * refuses aborts the transaction, and the COMMIT that follows it only ends it (PostgreSQL answers
   * it ROLLBACK): such a failure is known to have applied nothing. Any other failure once COMMIT
   * is sent (the connection lost, say) leaves the outcome unknown, and {@code committing} says so.
   */
  private Future<List<Answer>> inTransaction(SqlConnection connection, List<LedgerCommand> commands,
      boolean[] committing) {
    Future<?> begun = connection.query("BEGIN").execute();
    Future<Decided> decided = decide(connection, commands);
    return Future.all(begun, decided).compose(
        ready -> writeAndCommit(connection, decided.result(), committing),
        failure -> connection.query("ROLLBACK").execute().transform(rolledBack -> Future.failedFuture(failure)));
  }

  private Future<List<Answer>> writeAndCommit(SqlConnection connection, Decided decided, boolean[] committing) {
    Future<Void> written = LedgerRepository.write(connection, decided.book());
    committing[0] = true;
    Future<?> committed = connection.query("COMMIT").execute();
    return Future.join(written, committed).transform(done -> {
      if (written.failed() && written.cause() instanceof PgException) {
        committing[0] = false;
        return Future.failedFuture(written.cause());
      }
      return done.succeeded() ? Future.succeededFuture(decided.answers()) : Future.failedFuture(done.cause());
    });
  }

  /** What the book decided for a group's commands, in their order, before anything is written. */
  private record Decided(LedgerBook book, List<Answer> answers) {
  }

  private Future<Decided> decide(SqlClient tx, List<LedgerCommand> commands) {
    Set<String> settled = new HashSet<>();
    Set<String> expiring = new HashSet<>();
    Set<String> accountIds = new HashSet<>();
    Set<Key> keys = new HashSet<>();
    for (LedgerCommand command : commands) {
      if (command instanceof Create create) {
        create.items().forEach(item -> {
          accountIds.add(item.debitAccountId());
          accountIds.add(item.creditAccountId());
        });
      } else if (command instanceof Settle settle) {
        settled.add(settle.transferId());
      } else if (command instanceof Expire expire) {
        expiring.add(expire.transferId());
      }
      if (command.caller() != null && command.caller().idempotencyKey() != null) {
        keys.add(new Key(command.caller().tenant(), command.caller().idempotencyKey()));
      }
    }
    return LedgerRepository.lockTransfers(tx, settled, expiring).compose(transfers -> {
      transfers.values().forEach(t -> {
        accountIds.add(t.debitAccountId);
        accountIds.add(t.creditAccountId);
      });
      var accounts = LedgerRepository.lockAccounts(tx, accountIds);
      var busy = IdempotencyRecords.lock(tx, keys);
      // pipelined after the key locks, so its snapshot sees what their last holders committed
      var known = IdempotencyRecords.known(tx, keys);
      return Future.all(accounts, busy, known).map(locked -> {
        LedgerBook book = new LedgerBook(accounts.result(), transfers, known.result().stored(), busy.result(),
            known.result().fences(), Timestamps.now(clock));
        List<Answer> answers = commands.stream().map(book::apply).toList();
        // throws BrokenInvariant, which fails the transaction before anything is written
        book.checkInvariants();
        return new Decided(book, answers);
      });
    });
  }

  /**
   * A group that the database refused (a constraint, say), or whose decisions broke a ledger
   * invariant, is split so that one bad command cannot fail its neighbours; a lost connection
   * fails the group, unacknowledged and safe to retry. A command that fails alone is answered 503:
   * nothing of it was applied. Only for failures before COMMIT: see {@link #outcomeUnknown}.
   */
  private void retryOrFail(List<Waiting> group, Throwable failure) {
    if (group.size() > 1 && (failure instanceof PgException || failure instanceof BrokenInvariant)) {
      LOG.warn("a ledger group of {} failed ({}); retrying its commands one by one", group.size(),
          failure.getMessage());
      for (int i = group.size() - 1; i >= 0; i--) {
        Waiting w = group.get(i);
        queue.addFirst(new Waiting(w.command(), w.answer(), true, w.submitted()));
      }
      return;
    }
    LOG.error(failure instanceof BrokenInvariant ? "a ledger group of {} broke an invariant; nothing was written"
        : "a ledger group of {} failed", group.size(), failure);
    ServiceException unavailable = new ServiceException(ErrorCode.UNAVAILABLE,
        "the ledger could not commit; nothing was applied, retry with the same Idempotency-Key");
    group.forEach(w -> w.answer().fail(unavailable));
  }

  /**
   * The group's statements succeeded and its COMMIT failed (the connection closed while
   * committing, say): the database may have applied it or not, and only a retry with the same
   * Idempotency-Key can tell (it answers the stored outcome, or decides afresh). Never retried here:
   * a command without a key (a settlement, an expiry) must not be applied twice.
   */
  private void outcomeUnknown(List<Waiting> group, Throwable failure) {
    LOG.error("a ledger group of {} failed while committing; its outcome is not known", group.size(), failure);
    ServiceException unknown = new ServiceException(ErrorCode.UNAVAILABLE,
        "the outcome is not known yet: retry with the same Idempotency-Key");
    group.forEach(w -> w.answer().fail(unknown));
  }

  private void checkDrained() {
    if (drained != null && queue.isEmpty() && inFlight == 0) {
      drained.tryComplete();
    }
  }
}
