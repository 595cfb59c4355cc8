package fincloud.payments;

import fincloud.idempotency.IdempotencyRecords.Key;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the payments instances of one node share, so that running several (one per core) behaves
 * like one service per node: the keys arriving on the node (a key is in flight on the node, not
 * on one instance), one risk client (one circuit breaker per node, as readiness lists it), one
 * set of ledger meters (the gauges add up every instance's writer), and which instance does the
 * node's housekeeping (hold expiry, idempotency purge), so that it runs once per node and not
 * once per instance. Each instance has its own ledger writer: their groups commit concurrently,
 * as the groups of different nodes always have (row locks in one order, key locks tried).
 *
 * <p>The first instance to start creates it and leaves it in a local map; the last to stop
 * removes it and closes what it holds, so that payments deployed again starts afresh.
 */
final class NodePayments implements Shareable {
  private static final String MAP = "fincloud.payments";
  private static final String ENTRY = "node";

  final Set<Key> arriving = ConcurrentHashMap.newKeySet();
  final RiskClient risk;
  final LedgerMetrics metrics;
  private final AtomicReference<Object> housekeeper = new AtomicReference<>();
  private int instances;

  private NodePayments(Vertx vertx, RiskClientSettings riskCalls) {
    this.risk = new RiskClient(vertx, riskCalls);
    this.metrics = new LedgerMetrics();
  }

  /** The node's, created by the first instance; every instance that joins must {@link #leave} once. */
  static NodePayments join(Vertx vertx, RiskClientSettings riskCalls) {
    synchronized (NodePayments.class) {
      LocalMap<String, NodePayments> map = vertx.sharedData().getLocalMap(MAP);
      NodePayments shared = map.computeIfAbsent(ENTRY, key -> new NodePayments(vertx, riskCalls));
      shared.instances++;
      return shared;
    }
  }

  /** The last instance to leave closes the risk client and the gauges. */
  void leave(Vertx vertx, Object instance) {
    housekeeper.compareAndSet(instance, null);
    synchronized (NodePayments.class) {
      if (--instances > 0) {
        return;
      }
      vertx.sharedData().<String, NodePayments>getLocalMap(MAP).remove(ENTRY);
    }
    risk.close();
    metrics.close();
  }

  /**
   * Whether {@code instance} does the node's housekeeping: the first to ask takes it, and keeps it
   * until it leaves (then the next to ask takes it over).
   */
  boolean housekeeper(Object instance) {
    return housekeeper.compareAndSet(null, instance) || housekeeper.get() == instance;
  }
}
