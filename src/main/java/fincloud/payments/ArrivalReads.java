package fincloud.payments;

import fincloud.idempotency.IdempotencyRecords.Key;
import fincloud.payments.TransferRepository.Arrival;
import fincloud.payments.TransferRepository.ArrivalRound;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The reads that transfer requests make before risk (their key's stored answer, their accounts),
 * gathered the way {@link LedgerWriter} gathers commits: requests that arrive while a round is
 * being read go together into the next one, one statement for all of them. Under light load a
 * request is a round of its own and waits for nothing; under load a round costs the database one
 * statement and one transaction however many requests it serves. A request is never split, so a
 * batch of any size goes into one round. Used from one event loop (the payments verticle's).
 */
final class ArrivalReads {
  /** Requests in one round at most (a round's statement carries their keys as arrays). */
  static final int MAX_ROUND_REQUESTS = 256;
  /** Rounds being read at once; the others wait, and grow, meanwhile. */
  static final int MAX_ROUNDS_IN_FLIGHT = 1;

  private record Waiting(Key key, Collection<String> accountIds, Promise<Arrival> arrival) {
  }

  private final Pool pool;
  private final Deque<Waiting> queue = new ArrayDeque<>();
  private int inFlight;

  ArrivalReads(Pool pool) {
    this.pool = pool;
  }

  Future<Arrival> read(Key key, Collection<String> accountIds) {
    Promise<Arrival> arrival = Promise.promise();
    queue.add(new Waiting(key, accountIds, arrival));
    startRounds();
    return arrival.future();
  }

  private void startRounds() {
    while (inFlight < MAX_ROUNDS_IN_FLIGHT && !queue.isEmpty()) {
      List<Waiting> round = nextRound();
      inFlight++;
      Set<Key> keys = new LinkedHashSet<>();
      Set<String> accountIds = new LinkedHashSet<>();
      round.forEach(w -> {
        keys.add(w.key());
        accountIds.addAll(w.accountIds());
      });
      TransferRepository.arrivals(pool, keys, accountIds).onComplete(read -> {
        inFlight--;
        answer(round, read);
        startRounds();
      });
    }
  }

  private List<Waiting> nextRound() {
    List<Waiting> round = new ArrayList<>();
    while (!queue.isEmpty() && round.size() < MAX_ROUND_REQUESTS) {
      round.add(queue.poll());
    }
    return round;
  }

  private static void answer(List<Waiting> round, AsyncResult<ArrivalRound> read) {
    for (Waiting w : round) {
      if (read.succeeded()) {
        w.arrival().complete(read.result().of(w.key(), w.accountIds()));
      } else {
        w.arrival().fail(read.cause());
      }
    }
  }
}
