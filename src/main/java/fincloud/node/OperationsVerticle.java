package fincloud.node;

import fincloud.shared.DatabasePool;
import fincloud.shared.NodeIdentity;
import fincloud.shared.PoolSettings;
import fincloud.shared.Readiness;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/**
 * Status-only health on the HTTP port of a node without the gateway role (a payments-only node,
 * say): {@code /health/live} and {@code /health/ready}, as a gateway node serves them, so that
 * probes treat every node alike. No API here; metrics and detailed health are on the management
 * listener ({@link ManagementVerticle}).
 */
final class OperationsVerticle extends VerticleBase {
  private final NodeIdentity node;
  private final PoolSettings database;
  private Pool pool;
  private HttpServer server;

  OperationsVerticle(NodeIdentity node, PoolSettings database) {
    this.node = node;
    this.database = database;
  }

  @Override
  public Future<?> start() {
    pool = DatabasePool.create(vertx, database);
    Router router = Router.router(vertx);
    Readiness.statusOnlyRoutes(router, Readiness.checks(vertx, pool, node.clustered()));
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(node.httpPort(), node.httpHost())
        .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(5, TimeUnit.SECONDS);
  }
}
