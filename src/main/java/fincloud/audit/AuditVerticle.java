package fincloud.audit;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * The audit service. Every service already writes its outbox rows in its own transactions; sealing
 * them into the per-tenant hash chain and serving the log come with the audit issue.
 */
public class AuditVerticle extends VerticleBase {
  @Override
  public Future<?> start() {
    return Future.succeededFuture();
  }
}
