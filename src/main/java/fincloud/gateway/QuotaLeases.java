package fincloud.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Counter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cluster-wide count of each client's requests in the current window of its limit, from which
 * gateways lease permits in batches. One Vert.x shared-data counter per client (a single entry of a
 * Hazelcast map in a cluster, a local counter on a lone node): its high 32 bits say which window
 * it counts, its low 32 bits how many permits were leased in it, so that the first lease of a new
 * window starts it again from zero with one compare-and-set and no entry is ever left behind per
 * window. A lease costs one round trip when this node saw the counter last (its usual state under
 * load), two more per other gateway that leased in between.
 */
final class QuotaLeases {
  private static final String PREFIX = "fincloud.rateLimits.";
  private static final int MAX_TRIES = 8;
  private static final long LOW_BITS = 0xFFFF_FFFFL;

  private final Vertx vertx;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();

  QuotaLeases(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Fetches the counts of clients with a limit of their own before their first request, so that
   * their first lease costs one round trip, not the counter's creation on a cold cluster (which
   * took longer than {@link ClientQuota#LEASE_PATIENCE_MS} on a loaded machine, and the node then
   * admitted the whole limit on credit). Best effort: a failure leaves it to the first lease.
   */
  void warm(Iterable<String> clientIds) {
    for (String clientId : clientIds) {
      counter(clientId).compose(Counter::get).onSuccess(value -> lastSeen.putIfAbsent(clientId, value));
    }
  }

  /** Permits granted to this node: {@code want}, or fewer (down to 0) when the limit is reached. */
  Future<Integer> lease(String clientId, long window, int want, int limit) {
    return counter(clientId).compose(found -> attempt(found, clientId, tag(window), want, limit,
        lastSeen.getOrDefault(clientId, 0L), MAX_TRIES));
  }

  /** The client's counter, looked up in the cluster once per node. */
  private Future<Counter> counter(String clientId) {
    Counter known = counters.get(clientId);
    return known != null ? Future.succeededFuture(known)
        : vertx.sharedData().getCounter(PREFIX + clientId).onSuccess(found -> counters.putIfAbsent(clientId, found));
  }

  private Future<Integer> attempt(Counter counter, String clientId, long tag, int want, int limit, long expected,
      int tries) {
    long used = expected >>> 32 == tag ? expected & LOW_BITS : 0;
    int granted = (int) Math.max(0, Math.min(want, limit - used));
    if (granted == 0 && used > 0) {
      return Future.succeededFuture(0);
    }
    long next = tag << 32 | used + granted;
    return counter.compareAndSet(expected, next).compose(swapped -> {
      if (swapped) {
        lastSeen.put(clientId, next);
        return Future.succeededFuture(granted);
      }
      if (tries <= 1) {
        return Future.failedFuture("the count of " + clientId + " kept changing under " + MAX_TRIES + " leases");
      }
      return counter.get().compose(actual -> attempt(counter, clientId, tag, want, limit, actual, tries - 1));
    });
  }

  /** A window's tag: never 0, the value of a counter that was never used. */
  private static long tag(long window) {
    return Math.floorMod(window, Integer.MAX_VALUE) + 1L;
  }
}
