package fincloud.shared;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import java.util.TreeMap;
import java.util.Map;

/**
 * What one node knows about itself and every role on it reads: whether it is draining, and the
 * state of each circuit breaker (shown by readiness and detailed health). Kept in Vert.x local
 * maps, so it is per node and never travels through the cluster.
 */
public final class NodeState {
  private static final String NODE = "fincloud.node";
  private static final String BREAKERS = "fincloud.breakers";
  private static final String DRAINING = "draining";

  private NodeState() {
  }

  /** The node stops taking work: readiness goes down first. */
  public static void startDraining(Vertx vertx) {
    vertx.sharedData().getLocalMap(NODE).put(DRAINING, true);
  }

  public static boolean draining(Vertx vertx) {
    return Boolean.TRUE.equals(vertx.sharedData().getLocalMap(NODE).get(DRAINING));
  }

  /** A map of this node's own, shared by the verticles of the node (e.g. a window of failures). */
  public static <V> LocalMap<String, V> local(Vertx vertx) {
    return vertx.sharedData().getLocalMap(NODE);
  }

  /**
   * Records the state (CLOSED, HALF_OPEN, OPEN) of the breaker that {@code caller} keeps for
   * {@code service}; null removes it.
   */
  public static void breaker(Vertx vertx, String caller, String service, String state) {
    LocalMap<String, String> breakers = vertx.sharedData().getLocalMap(BREAKERS + "." + caller);
    if (state == null) {
      breakers.remove(service);
    } else {
      breakers.put(service, state);
    }
  }

  /** The state of each breaker that {@code caller} keeps, by service, a sorted copy. */
  public static Map<String, Object> breakers(Vertx vertx, String caller) {
    return new TreeMap<>(vertx.sharedData().<String, Object>getLocalMap(BREAKERS + "." + caller));
  }
}
