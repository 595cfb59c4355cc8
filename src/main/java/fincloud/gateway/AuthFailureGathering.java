package fincloud.gateway;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.concurrent.TimeUnit;

/**
 * Gathers the gateways' failed authentications of one client (or address) in one second into one
 * record for the whole cluster. Windows are whole seconds of the clock, so the gateways close the
 * same window at about the same time; the first to close it in a cluster-wide map becomes its
 * writer and waits {@link #HAND_IN_MS} for the others, which hand their attempts in to the map
 * entry; the writer then takes the entry away (one atomic remove) with everything handed in and
 * writes one record. A gateway that comes after the entry was taken becomes a writer again (a
 * second record for that second, late but never lost). When the map does not answer within
 * {@link #MAP_TIMEOUT_MS}, the gateway writes its own attempts: the per-node behaviour.
 */
final class AuthFailureGathering {
  /** How long the writer of a window waits for the other gateways' attempts. */
  static final long HAND_IN_MS = 300;
  /** A map operation slower than this means the cluster's state is out of reach. */
  static final long MAP_TIMEOUT_MS = 500;
  /** An entry left by a writer that died before taking it goes away after this. */
  private static final long ENTRY_TTL_MS = 60_000;
  private static final String MAP = "fincloud.authFailures";
  private static final int MAX_TRIES = 8;

  private final Vertx vertx;

  AuthFailureGathering(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * What this gateway must write for the window {@code second} of {@code key}: its attempts with
   * every other gateway's, or null when it handed them in to another gateway's record. Fails when
   * the map is out of reach: the caller then writes its own attempts alone.
   */
  Future<AuthFailures.Attempts> gather(String key, long second, AuthFailures.Attempts mine) {
    String entry = key + "@" + second;
    return vertx.sharedData().<String, String>getAsyncMap(MAP)
        .compose(map -> handInOrOpen(map, entry, mine.toJson().encode(), MAX_TRIES)
            .compose(handedIn -> handedIn ? Future.succeededFuture(null) : collect(map, entry, mine)));
  }

  /** True when the attempts went into another gateway's entry; false when this one opened it. */
  private Future<Boolean> handInOrOpen(AsyncMap<String, String> map, String entry, String attempts, int tries) {
    return timed(map.putIfAbsent(entry, new JsonArray().encode(), ENTRY_TTL_MS)).compose(open -> {
      if (open == null) {
        return Future.succeededFuture(false);
      }
      String handedIn = new JsonArray(open).add(new JsonObject(attempts)).encode();
      return timed(map.replaceIfPresent(entry, open, handedIn)).compose(replaced -> replaced
          ? Future.succeededFuture(true)
          : tries <= 1 ? Future.failedFuture("the gathering of " + entry + " kept changing")
          : handInOrOpen(map, entry, attempts, tries - 1));
    });
  }

  private Future<AuthFailures.Attempts> collect(AsyncMap<String, String> map, String entry,
      AuthFailures.Attempts mine) {
    Promise<Void> waited = Promise.promise();
    vertx.setTimer(HAND_IN_MS, fire -> waited.complete());
    return waited.future().compose(done -> timed(map.remove(entry))).map(handedIn -> {
      AuthFailures.Attempts all = mine;
      for (Object other : handedIn == null ? new JsonArray() : new JsonArray(handedIn)) {
        all = all.plus(AuthFailures.Attempts.fromJson((JsonObject) other));
      }
      return all;
    });
  }

  private static <T> Future<T> timed(Future<T> operation) {
    return operation.timeout(MAP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }
}
