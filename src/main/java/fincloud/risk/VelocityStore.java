package fincloud.risk;

import io.vertx.core.Future;
import io.vertx.core.shareddata.AsyncMap;
import java.util.function.Function;

/**
 * Velocity windows in Vert.x shared data: a Hazelcast map when the node is clustered (so a limit
 * is one limit across the cluster), a local map otherwise. Every change is a compare-and-set on
 * the window's text, retried on conflict, so concurrent transfers from one account, on one node
 * or many, are counted exactly. Money never depends on it: losing it only loosens the limits for
 * at most one window.
 */
final class VelocityStore {
  private static final int MAX_ATTEMPTS = 64;

  /** A new value to write (null: write nothing) and what the caller gets once it is written. */
  record Change<T>(String value, T result) {
  }

  private final AsyncMap<String, String> map;
  /**
   * Whether the map refreshes the time-to-live on a compare-and-set. Hazelcast's map has no such
   * call but counts an entry's time-to-live from its last update, which is what is wanted here.
   */
  private boolean ttlOnReplace = true;

  VelocityStore(AsyncMap<String, String> map) {
    this.map = map;
  }

  /**
   * Reads the value at {@code key} (null when absent), lets {@code change} decide, and writes the
   * result only if nobody wrote in between; otherwise starts again with the newer value.
   */
  <T> Future<T> update(String key, long ttlMs, Function<String, Change<T>> change) {
    return update(key, ttlMs, change, 1);
  }

  private <T> Future<T> update(String key, long ttlMs, Function<String, Change<T>> change, int attempt) {
    return map.get(key).compose(current -> {
      Change<T> decided = change.apply(current);
      if (decided.value() == null || decided.value().equals(current)) {
        return Future.succeededFuture(decided.result());
      }
      Future<Boolean> written = current == null
          ? map.putIfAbsent(key, decided.value(), ttlMs).map(previous -> previous == null)
          : replace(key, current, decided.value(), ttlMs);
      return written.compose(done -> {
        if (done) {
          return Future.succeededFuture(decided.result());
        }
        if (attempt >= MAX_ATTEMPTS) {
          return Future.failedFuture("the velocity window of " + key + " kept changing; gave up after "
              + attempt + " attempts");
        }
        return update(key, ttlMs, change, attempt + 1);
      });
    });
  }

  private Future<Boolean> replace(String key, String current, String value, long ttlMs) {
    if (!ttlOnReplace) {
      return map.replaceIfPresent(key, current, value);
    }
    return map.replaceIfPresent(key, current, value, ttlMs).recover(failure -> {
      if (failure instanceof UnsupportedOperationException) {
        ttlOnReplace = false;
        return map.replaceIfPresent(key, current, value);
      }
      return Future.failedFuture(failure);
    });
  }
}
