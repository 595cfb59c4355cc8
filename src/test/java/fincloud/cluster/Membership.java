package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** The member list as {@code GET /v1/cluster} (the platform operator's) shows it on each node. */
final class Membership {
  private Membership() {
  }

  /** The ids of the nodes this node lists, or null without an answer. */
  static Set<String> ids(NodeProcess node, String operator) {
    try {
      Api.Reply reply = Api.get(node, operator, "/v1/cluster");
      if (reply.status() != 200) {
        return null;
      }
      Set<String> ids = new HashSet<>();
      reply.body().getJsonArray("nodes").forEach(entry -> ids.add(((JsonObject) entry).getString("nodeId")));
      return ids;
    } catch (RuntimeException noAnswer) {
      return null;
    }
  }

  /** How many nodes this node lists (-1 without an answer). */
  static int count(NodeProcess node, String operator) {
    Set<String> ids = ids(node, operator);
    return ids == null ? -1 : ids.size();
  }

  /** The nodes in the order {@code GET /v1/cluster} lists them: the oldest (Hazelcast's master) first. */
  static List<NodeProcess> listed(List<NodeProcess> nodes, String operator) {
    List<String> order = Api.get(nodes.get(0), operator, "/v1/cluster").body().getJsonArray("nodes").stream()
        .map(entry -> ((JsonObject) entry).getString("nodeId")).toList();
    Map<String, NodeProcess> byId = new HashMap<>();
    nodes.forEach(node -> byId.put(nodeId(node, operator), node));
    return order.stream().map(byId::get).filter(Objects::nonNull).toList();
  }

  /** The node's own id in the cluster (its entry marked {@code self}), or null. */
  static String nodeId(NodeProcess node, String operator) {
    try {
      Api.Reply reply = Api.get(node, operator, "/v1/cluster");
      for (Object entry : reply.body().getJsonArray("nodes")) {
        if (((JsonObject) entry).getBoolean("self", false)) {
          return ((JsonObject) entry).getString("nodeId");
        }
      }
    } catch (RuntimeException noAnswer) {
      // no id: the caller falls back to counting
    }
    return null;
  }

  /** Whether every one of {@code others} answers a list without {@code id}. */
  static boolean dropped(List<NodeProcess> others, String operator, String id) {
    return others.stream().map(other -> ids(other, operator)).allMatch(listed -> listed != null && !listed.contains(id));
  }

  /**
   * Whether two running nodes have split apart: either answers a list without the other's id (a
   * node that does not answer counts as no evidence).
   */
  static boolean apart(NodeProcess first, String firstId, NodeProcess second, String secondId, String operator) {
    Set<String> fromFirst = ids(first, operator);
    Set<String> fromSecond = ids(second, operator);
    return fromFirst != null && !fromFirst.contains(secondId) || fromSecond != null && !fromSecond.contains(firstId);
  }

  /**
   * Polls (every 100 ms) until every one of {@code others} answers a list without {@code id}
   * (without an id: with 2 members); answers the ms since {@code since}, or -1 at the deadline.
   */
  static long awaitDropped(List<NodeProcess> others, String operator, String id, long since, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      boolean dropped = true;
      for (NodeProcess other : others) {
        Set<String> ids = ids(other, operator);
        dropped &= ids != null && (id != null ? !ids.contains(id) : ids.size() == others.size());
      }
      if (dropped) {
        return (System.nanoTime() - since) / 1_000_000;
      }
      NodeProcess.sleep(100);
    }
    return -1;
  }

  /** Polls (every 250 ms) until every node lists {@code members} nodes; the ms since {@code since}, or -1. */
  static long awaitMembers(List<NodeProcess> nodes, String operator, int members, long since, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (nodes.stream().allMatch(node -> count(node, operator) == members)) {
        return (System.nanoTime() - since) / 1_000_000;
      }
      NodeProcess.sleep(250);
    }
    return -1;
  }
}
