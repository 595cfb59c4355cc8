package fincloud.node;

import fincloud.accounts.AccountsVerticle;
import fincloud.audit.AuditVerticle;
import fincloud.gateway.GatewayVerticle;
import fincloud.payments.PaymentsVerticle;
import fincloud.risk.RiskVerticle;
import fincloud.shared.NodeState;
import fincloud.shared.PoolSettings;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.ClusterManager;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The roles of one node, deployed on a Vert.x instance: services first, the gateway last (so that
 * it takes no request before its services listen), and undeployed in the reverse order.
 */
public final class Node {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  private final Vertx vertx;
  private final NodeConfig config;
  /** The database the node actually uses (the embedded one's URL is known only once it runs). */
  private final PoolSettings database;
  /** Deployment id by role, in deployment order. */
  private final Map<String, String> deployments = new LinkedHashMap<>();
  /** What "now" is for the ledger: the system's, or a test's that it moves forward. */
  private final Clock clock;
  /** The management listener: {@code /metrics} and detailed health, on every node. */
  private final HealthListener management;

  private Node(Vertx vertx, NodeConfig config, String pgUrl, Clock clock) {
    this.vertx = vertx;
    this.config = config;
    this.database = config.database().at(pgUrl);
    this.clock = clock;
    this.management = HealthListener.management(config.identity(), database);
  }

  public static Future<Node> deploy(Vertx vertx, NodeConfig config, String pgUrl) {
    return deploy(vertx, config, pgUrl, null);
  }

  /**
   * @param clusterManager the cluster this node joined, or null: the node's entry in the cluster's
   *     node list goes first (and is undeployed last), then the roles
   */
  public static Future<Node> deploy(Vertx vertx, NodeConfig config, String pgUrl, ClusterManager clusterManager) {
    return deploy(vertx, config, pgUrl, clusterManager, Clock.systemUTC());
  }

  /** @param clock the ledger's clock (when holds expire); tests give one they move forward */
  public static Future<Node> deploy(Vertx vertx, NodeConfig config, String pgUrl, ClusterManager clusterManager,
      Clock clock) {
    Node node = new Node(vertx, config, pgUrl, clock);
    DeploymentOptions once = new DeploymentOptions();
    Future<Void> chain = CallerKeyAgreement.install(vertx, config)
        .compose(installed -> KekAgreement.install(vertx, config))
        .compose(installed -> node.deployAs("cluster membership",
            () -> vertx.deployVerticle(new ClusterVerticle(clusterManager, config.roles()), once)))
        // before the roles, so undeployed after them: health says "draining" while they stop
        .compose(done -> node.deployAs("management listener", () -> vertx.deployVerticle(node.management, once)));
    for (String role : deploymentOrder(config)) {
      chain = chain.compose(done -> node.deploy(role));
    }
    if (!config.roles().contains("gateway")) {
      // No API on this node, but probes still find status-only health on its HTTP port.
      chain = chain.compose(done -> node.deployAs("health",
          () -> vertx.deployVerticle(HealthListener.statusOnly(config.identity(), node.database), once)));
    }
    return chain.map(done -> node);
  }

  private Future<Void> deployAs(String what, Supplier<Future<String>> deployment) {
    return deployment.get().map(id -> {
      deployments.put(what, id);
      LOG.info("{} deployed", what);
      return null;
    });
  }

  /** The port of the management listener ({@code /metrics}, detailed health), once deployed. */
  public int managementPort() {
    return management.port();
  }

  /** Deploys one role that is not running on this node (e.g. again, after {@link #undeploy}). */
  public Future<Void> deploy(String role) {
    if (deployments.containsKey(role)) {
      return Future.failedFuture(new IllegalStateException("role " + role + " is already deployed"));
    }
    return deployAs(role, () -> vertx.deployVerticle(factory(role), options(role)));
  }

  /** Undeploys one role of this node, leaving the others running. */
  public Future<Void> undeploy(String role) {
    String id = deployments.remove(role);
    if (id == null) {
      return Future.failedFuture(new IllegalStateException("role " + role + " is not deployed"));
    }
    return vertx.undeploy(id).onSuccess(done -> LOG.info("role {} undeployed", role));
  }

  /**
   * Readiness goes down, the gateway stops taking requests and finishes its own, then each service
   * unregisters its consumers (the other nodes stop routing to it) and finishes what it has.
   */
  public Future<Void> stop() {
    NodeState.startDraining(vertx);
    Future<Void> chain = Future.succeededFuture();
    List<String> ids = new ArrayList<>(deployments.values());
    deployments.clear();
    for (int i = ids.size() - 1; i >= 0; i--) {
      String id = ids.get(i);
      chain = chain.compose(done -> vertx.undeploy(id).recover(failure -> {
        LOG.warn("undeploying {} failed: {}", id, failure.getMessage());
        return Future.succeededFuture();
      }));
    }
    return chain;
  }

  private static List<String> deploymentOrder(NodeConfig config) {
    List<String> order = new ArrayList<>();
    for (String role : List.of("risk", "audit", "accounts", "payments", "gateway")) {
      if (config.roles().contains(role)) {
        order.add(role);
      }
    }
    return order;
  }

  /** Each instance of a role gets the role's settings, read once when the node started. */
  private Supplier<? extends Deployable> factory(String role) {
    return switch (role) {
      case "gateway" -> () -> new GatewayVerticle(config.identity(), config.gateway(), database);
      case "accounts" -> () -> new AccountsVerticle(database, config.privacy());
      case "payments" -> () -> new PaymentsVerticle(config.ledger(), config.riskCalls(), database, config.privacy(), clock);
      case "risk" -> () -> new RiskVerticle(config.risk(), database);
      case "audit" -> () -> new AuditVerticle(config.audit(), database, config.identity().dataDir(), config.privacy(),
          config.demo());
      default -> throw new IllegalArgumentException(role);
    };
  }

  /**
   * The raw configuration still goes along: the call policies (timeouts, breakers) are read from it.
   * The gateway runs one instance per core unless configured; payments and risk as many as
   * configured ({@code ledger.instances}, {@code risk.instances}, one by default: more split the
   * ledger's groups, which costs more than it spreads on two cores); audit runs once, as its sealer
   * and the witness of its checkpoints belong to the node (see AuditVerticle).
   */
  private DeploymentOptions options(String role) {
    int instances = switch (role) {
      case "gateway" -> perCore(config.gateway().instances());
      case "accounts" -> Math.max(1, cores() / 2);
      case "payments" -> config.ledger().instances();
      case "risk" -> config.risk().instances();
      default -> 1;
    };
    return new DeploymentOptions().setConfig(config.json()).setInstances(instances);
  }

  private static int perCore(Integer configured) {
    return configured != null ? configured : cores();
  }

  private static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }
}
