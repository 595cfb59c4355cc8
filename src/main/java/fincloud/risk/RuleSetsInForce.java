package fincloud.risk;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each tenant's rule set in force on this node, shared by the node's risk instances: a change
 * that one instance installs is in force at once for every instance of the node (the others in
 * the cluster reload it within a poll). A set is only ever replaced by a newer version, whichever
 * instance or event loop installs it. The first instance to start creates it; the last to stop
 * drops it, so that risk deployed again loads its sets afresh from the database it is given.
 */
final class RuleSetsInForce implements Shareable {
  private static final String MAP = "fincloud.risk.ruleSets";
  private static final String ENTRY = "inForce";

  private final Map<String, RuleSet> sets = new ConcurrentHashMap<>();
  private int instances;

  /** The node's; every instance that joins must {@link #leave} once. */
  static RuleSetsInForce join(Vertx vertx) {
    synchronized (RuleSetsInForce.class) {
      RuleSetsInForce shared = vertx.sharedData().<String, RuleSetsInForce>getLocalMap(MAP)
          .computeIfAbsent(ENTRY, key -> new RuleSetsInForce());
      shared.instances++;
      return shared;
    }
  }

  void leave(Vertx vertx) {
    synchronized (RuleSetsInForce.class) {
      if (--instances == 0) {
        vertx.sharedData().<String, RuleSetsInForce>getLocalMap(MAP).remove(ENTRY);
      }
    }
  }

  /** The tenant's set in force: version 0 and no rules until its first change. */
  RuleSet get(String tenant) {
    return sets.getOrDefault(tenant, RuleSet.EMPTY);
  }

  /** Never goes back to an older version (a slow load must not undo a newer change). */
  void install(String tenant, RuleSet set) {
    sets.merge(tenant, set, (current, offered) -> offered.version() > current.version() ? offered : current);
  }
}
