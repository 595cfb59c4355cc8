package fincloud.node;

import fincloud.shared.DatabasePool;
import fincloud.shared.NodeIdentity;
import fincloud.shared.PoolSettings;
import fincloud.shared.Readiness;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/**
 * A listener for probes and scrapers, never the API. Every node has the management one
 * ({@code FINCLOUD_MANAGEMENT_HOST} / {@code FINCLOUD_MANAGEMENT_PORT}, loopback by default):
 * {@code /metrics} and health with each check's data (database, cluster, breakers), apart from the
 * API port so that neither the meters nor the database's error texts reach the API's callers. A
 * node without the gateway role also has a status-only one on its HTTP port ({@code /health/live}
 * and {@code /health/ready}, as a gateway serves them), so that probes treat every node alike.
 */
final class HealthListener extends VerticleBase {
  private final NodeIdentity node;
  private final PoolSettings database;
  private final boolean management;
  private Pool pool;
  private HttpServer server;

  private static final long PRIVILEGE_CHECK_TIMEOUT_MS = 2000;

  private HealthListener(NodeIdentity node, PoolSettings database, boolean management) {
    this.node = node;
    this.database = database;
    this.management = management;
  }

  /** Metrics and detailed health on the management port. */
  static HealthListener management(NodeIdentity node, PoolSettings database) {
    return new HealthListener(node, database, true);
  }

  /** Status-only health on the HTTP port of a node without the gateway. */
  static HealthListener statusOnly(NodeIdentity node, PoolSettings database) {
    return new HealthListener(node, database, false);
  }

  @Override
  public Future<?> start() {
    pool = DatabasePool.create(vertx, database);
    Router router = Router.router(vertx);
    HealthChecks checks = Readiness.checks(vertx, pool, node.clustered());
    if (management) {
      checks.register("auditPrivileges", PRIVILEGE_CHECK_TIMEOUT_MS, this::auditPrivileges);
      Readiness.detailedRoutes(router, checks);
      router.get("/metrics").handler(PrometheusScrapingHandler.create());
    } else {
      Readiness.statusOnlyRoutes(router, checks);
    }
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(management ? node.managementPort() : node.httpPort(),
            management ? node.managementHost() : node.httpHost())
        .onSuccess(listening -> server = listening);
  }

  /**
   * Whether the node's database role could rewrite the audit history. Always up: a node that could
   * still serves (README, "Least privilege"), and says so here as well as in its start-up log.
   */
  private void auditPrivileges(Promise<Status> promise) {
    pool.query(RuntimeRole.CAN_REWRITE_AUDIT).execute()
        .onSuccess(rows -> {
          boolean can = rows.size() > 0 && Boolean.TRUE.equals(rows.iterator().next().getBoolean(0));
          JsonObject data = new JsonObject().put("runtimeRoleCanRewriteAuditTables", can);
          promise.tryComplete(Status.OK(can ? data.put("warning", "the node's database role may update, delete,"
              + " alter or drop audit_log and audit_checkpoints: run it as a member of fincloud_runtime") : data));
        })
        .onFailure(failure -> promise.tryComplete(Status.OK(new JsonObject()
            .put("runtimeRoleCanRewriteAuditTables", (Object) null).put("warning", "could not check: "
                + failure.getMessage()))));
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
