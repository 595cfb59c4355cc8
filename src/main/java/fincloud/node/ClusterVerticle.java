package fincloud.node;

import fincloud.bus.BusReply;
import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.spi.cluster.ClusterManager;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * This node's entry in the cluster's list of nodes: it puts its id, roles and start time into a
 * cluster-wide map when deployed (the first of the node's verticles) and removes it when
 * undeployed (the last). It answers, for this node only (local consumers), the node list of
 * {@code GET /v1/cluster} (entries of nodes that are no longer members are left out) and the
 * {@code cluster} readiness check. Nothing here is money: the map is ephemeral by design.
 */
final class ClusterVerticle extends VerticleBase {
  static final String NODES_MAP = "fincloud.cluster.nodes";
  private static final long STALE_SECONDS = 60;
  private static final long REASSERT_MS = 2_000;
  /**
   * How long the node list waits for the map. While a member is frozen, reads of the partitions it
   * owns block until the heartbeat timeout drops it: the list then comes from the last read, so
   * that {@code GET /v1/cluster} shows membership as the cluster manager sees it now.
   */
  private static final long MAP_READ_LIMIT_MS = 1_000;

  /** Null on a node that is not clustered. */
  private final ClusterManager clusterManager;
  private final Set<String> roles;
  private String nodeId;
  private AsyncMap<String, String> nodes;
  private long reassert = -1;
  /** The map's entries at its last answer: the node list when the map is slow to answer. */
  private Map<String, String> lastRead = Map.of();

  ClusterVerticle(ClusterManager clusterManager, Set<String> roles) {
    this.clusterManager = clusterManager;
    this.roles = roles;
  }

  @Override
  public Future<?> start() {
    nodeId = clusterManager != null ? clusterManager.getNodeId() : "local-" + UUID.randomUUID();
    JsonObject self = new JsonObject().put("nodeId", nodeId).put("roles", new JsonArray(List.copyOf(roles)))
        .put("joinedAt", Timestamps.format(Timestamps.now()));
    return vertx.sharedData().<String, String>getAsyncMap(NODES_MAP)
        .compose(map -> {
          nodes = map;
          // A node cut off for longer than the heartbeat timeout (a long pause, a partition) is
          // dropped by the others, which then forget its entry; once the clusters merge again it
          // puts the entry back here, or it would stay missing from GET /v1/cluster.
          reassert = vertx.setPeriodic(REASSERT_MS, tick -> nodes.putIfAbsent(nodeId, self.encode()));
          return map.put(nodeId, self.encode());
        })
        .compose(put -> Future.all(
            vertx.eventBus().<JsonObject>localConsumer(Addresses.CLUSTER_NODES,
                message -> BusReply.answer(message, list().map(Answer::ok))).completion(),
            vertx.eventBus().<JsonObject>localConsumer(Addresses.CLUSTER_HEALTH,
                message -> message.reply(health())).completion()));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(reassert);
    return nodes == null ? Future.succeededFuture() : nodes.remove(nodeId).otherwiseEmpty();
  }

  /** The nodes that are members now, oldest (the cluster's master) first; {@code self} marks this one. */
  private Future<JsonObject> list() {
    return nodes.entries()
        .timeout(MAP_READ_LIMIT_MS, TimeUnit.MILLISECONDS)
        .onSuccess(entries -> {
          lastRead = Map.copyOf(entries);
          forgetTheDead(entries);
        })
        .otherwise(slow -> lastRead)
        .map(this::listed);
  }

  /** Membership is read after the map answered, so that a slow read cannot list a dropped node. */
  private JsonObject listed(Map<String, String> entries) {
    List<String> members = memberList();
    JsonArray listed = new JsonArray();
    entries.entrySet().stream()
        .filter(entry -> members.contains(entry.getKey()))
        .map(Map.Entry::getValue)
        .map(JsonObject::new)
        .sorted(Comparator.comparingInt((JsonObject node) -> members.indexOf(node.getString("nodeId"))))
        .forEach(node -> listed.add(node.put("self", node.getString("nodeId").equals(nodeId))));
    return new JsonObject().put("clustered", clusterManager != null).put("nodes", listed);
  }

  /**
   * Entries of nodes that died (kill -9) stay behind: forget them, once they are old enough that
   * the member list cannot merely be lagging behind a node that just joined.
   */
  private void forgetTheDead(Map<String, String> entries) {
    Set<String> members = members();
    String staleBefore = Timestamps.format(Timestamps.now().minusSeconds(STALE_SECONDS));
    entries.forEach((id, node) -> {
      if (!members.contains(id) && new JsonObject(node).getString("joinedAt").compareTo(staleBefore) < 0) {
        nodes.remove(id);
      }
    });
  }

  private Set<String> members() {
    return Set.copyOf(memberList());
  }

  /** The cluster manager's member list: oldest first, so its first is Hazelcast's master. */
  private List<String> memberList() {
    return clusterManager == null ? List.of(nodeId) : clusterManager.getNodes();
  }

  /** {@code {"up":bool,"members":n}}: up while the cluster manager is active and lists this node. */
  private JsonObject health() {
    if (clusterManager == null) {
      return new JsonObject().put("up", true).put("members", 1);
    }
    List<String> members = clusterManager.isActive() ? clusterManager.getNodes() : List.of();
    return new JsonObject().put("up", members.contains(nodeId)).put("members", members.size())
        .put("nodeId", nodeId);
  }
}
