package fincloud.node;

import fincloud.bus.CallerKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node's caller key ({@link CallerKeys}) comes from, installed before its roles start:
 * the configured one; on a node without a cluster, 32 random bytes in memory (nobody else needs
 * it); in a demo cluster, the key the first member put into the cluster's shared map, which the
 * others take when they join. The demo agreement trusts every member of the cluster (any member
 * can read that map): it is meant for the loopback cluster of one machine, where the demo
 * clients' secrets are published anyway. Outside demo mode a clustered node is refused at start
 * without a configured key ({@link NodeConfig}).
 */
final class CallerKeyAgreement {
  private static final Logger LOG = LoggerFactory.getLogger(CallerKeyAgreement.class);
  static final String DEMO_MAP = "fincloud.demo.callerKey";
  private static final String ENTRY = "current";

  private CallerKeyAgreement() {
  }

  static Future<Void> install(Vertx vertx, NodeConfig config) {
    ClusterSettings cluster = config.cluster();
    if (cluster.callerKey() != null) {
      CallerKeys.install(vertx, new CallerKeys(cluster.callerKey(), cluster.previousCallerKey()));
      return Future.succeededFuture();
    }
    if (!vertx.isClustered()) {
      CallerKeys.install(vertx, new CallerKeys(Base64.getDecoder().decode(CallerKeys.generate()), null));
      return Future.succeededFuture();
    }
    if (!config.demo()) {
      return Future.failedFuture(new IllegalStateException("a clustered node outside demo mode needs cluster.callerKeyFile"));
    }
    String mine = CallerKeys.generate();
    return vertx.sharedData().<String, String>getAsyncMap(DEMO_MAP)
        .compose(map -> map.putIfAbsent(ENTRY, mine))
        .map(theirs -> {
          LOG.warn("demo cluster: the caller key is {} (kept in the cluster's shared map, readable by every member)",
              theirs == null ? "new, made by this node" : "the one the cluster already had");
          CallerKeys.install(vertx, new CallerKeys(Base64.getDecoder().decode(theirs == null ? mine : theirs), null));
          return null;
        });
  }
}
