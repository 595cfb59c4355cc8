package fincloud.node;

import fincloud.gateway.GatewayVerticle;
import fincloud.shared.Addresses;
import fincloud.shared.DatabasePool;
import fincloud.shared.NodeIdentity;
import fincloud.shared.NodeState;
import fincloud.shared.PoolSettings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/**
 * Health and metrics on a node without the gateway role (a payments-only node, say), on the
 * node's HTTP port: {@code /health/live}, {@code /health/ready} (node, database, cluster) and
 * {@code /metrics}, so that probes and scrapers treat every node alike. No API here.
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
    router.get("/health/live").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("status", "UP").encode()));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness()));
    router.get("/metrics").handler(PrometheusScrapingHandler.create());
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(node.httpPort(), node.httpHost())
        .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(5, TimeUnit.SECONDS);
  }

  private HealthChecks readiness() {
    HealthChecks checks = HealthChecks.create(vertx);
    checks.register("node", promise -> promise.complete(
        NodeState.draining(vertx) ? Status.KO() : Status.OK()));
    checks.register("database", 2000, promise -> DatabasePool.writable(pool)
        .onSuccess(rows -> promise.tryComplete(Status.OK()))
        .onFailure(failure -> promise.tryComplete(Status.KO(new JsonObject().put("error", failure.getMessage())))));
    if (node.clustered()) {
      checks.register("cluster", 2000, promise -> vertx.eventBus()
          .<JsonObject>request(Addresses.CLUSTER_HEALTH, null, new DeliveryOptions().setSendTimeout(2000))
          .onSuccess(reply -> promise.tryComplete(new Status().setOk(reply.body().getBoolean("up", false))
              .setData(reply.body())))
          .onFailure(failure -> promise.tryComplete(Status.KO(new JsonObject().put("error", failure.getMessage())))));
    }
    return checks;
  }
}
