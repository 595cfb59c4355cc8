package fincloud.node;

import fincloud.shared.DatabasePool;
import fincloud.shared.NodeIdentity;
import fincloud.shared.PoolSettings;
import fincloud.shared.Readiness;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/**
 * The management listener of every node ({@code FINCLOUD_MANAGEMENT_HOST} /
 * {@code FINCLOUD_MANAGEMENT_PORT}, loopback by default): {@code /metrics} and health with each
 * check's data (database, cluster, breakers). Apart from the API port, so that neither the meters
 * nor the database's error texts reach the API's callers; the API itself is never served here.
 */
final class ManagementVerticle extends VerticleBase {
  private final NodeIdentity node;
  private final PoolSettings database;
  private Pool pool;
  private HttpServer server;

  ManagementVerticle(NodeIdentity node, PoolSettings database) {
    this.node = node;
    this.database = database;
  }

  @Override
  public Future<?> start() {
    pool = DatabasePool.create(vertx, database);
    Router router = Router.router(vertx);
    Readiness.detailedRoutes(router, Readiness.checks(vertx, pool, node.clustered()));
    router.get("/metrics").handler(PrometheusScrapingHandler.create());
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(node.managementPort(), node.managementHost())
        .onSuccess(listening -> server = listening);
  }

  /** The port it listens on (the one chosen when configured 0). */
  int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(5, TimeUnit.SECONDS);
  }
}
