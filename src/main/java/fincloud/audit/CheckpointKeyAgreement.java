package fincloud.audit;

import fincloud.shared.KeyFile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One checkpoint key for a demo cluster, which configures none (docs/contract.md, "Demo mode": the
 * members agree on the keys they must share). The first member's key goes into the cluster's
 * shared map and the others sign with it; otherwise each node would sign with the key of its own
 * data folder, and a node would find checkpoints signed by keys it does not trust. A member whose
 * own key has signed nothing yet keeps the cluster's key in its key file, so that the agreement
 * survives a restart of every member; one whose key has signed keeps that key, trusted, for the
 * checkpoints it signed. Like the caller key, this trusts every member (any member can read the
 * map): it is meant for the loopback cluster of one machine. Outside demo mode a deployment
 * configures one key ({@code audit.keyFile}).
 */
final class CheckpointKeyAgreement {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointKeyAgreement.class);
  static final String DEMO_MAP = "fincloud.demo.checkpointKey";
  private static final String ENTRY = "current";
  private static final String SIGNED_ANY = "SELECT EXISTS (SELECT 1 FROM audit_checkpoints WHERE kid = $1)";

  private CheckpointKeyAgreement() {
  }

  /** Whether this node must agree: a demo node in a cluster, with no key configured. */
  static boolean applies(Vertx vertx, boolean demo, AuditSettings settings) {
    return demo && vertx.isClustered() && settings.signingKey() == null && !settings.keyFileGiven();
  }

  static Future<CheckpointKeys> agree(Vertx vertx, Pool pool, AuditSettings settings, CheckpointKeys mine) {
    return vertx.sharedData().<String, String>getAsyncMap(DEMO_MAP)
        .compose(map -> map.putIfAbsent(ENTRY, mine.privateJwk()))
        .compose(theirs -> {
          if (theirs == null) {
            LOG.warn("demo cluster: this node's checkpoint key {} is the cluster's (kept in its shared map)", mine.kid());
            return Future.succeededFuture(mine);
          }
          CheckpointKeys agreed = mine.adopting(theirs, "the demo cluster's checkpoint key");
          if (agreed.kid().equals(mine.kid())) {
            return Future.succeededFuture(mine);
          }
          LOG.warn("demo cluster: signing checkpoints with the cluster's key {}", agreed.kid());
          return pool.preparedQuery(SIGNED_ANY).execute(Tuple.of(mine.kid()))
              .map(rows -> rows.iterator().next().getBoolean(0))
              .compose(signed -> signed ? Future.succeededFuture(agreed) : vertx.executeBlocking(() -> {
                KeyFile.replace(settings.keyFile(), theirs);
                return agreed;
              }));
        });
  }
}
