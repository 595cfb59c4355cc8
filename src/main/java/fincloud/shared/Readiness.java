package fincloud.shared;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.sqlclient.Pool;

/**
 * Whether a node can take work, said two ways. On the API port, status only
 * ({@code {"status":"UP"}}, or 503 {@code {"status":"DOWN"}} with Retry-After): a probe needs no
 * more, and the checks' data (database error texts, cluster members) is not for callers of the
 * API. On the management listener, every check with its data.
 *
 * <p>Ready when the node is not draining, the database answers as a primary (a standby answers
 * but cannot take money) and, in a cluster, the node is a member; the circuit breakers are listed
 * but never fail readiness (an open breaker has a fallback, the node still serves).
 */
public final class Readiness {
  private static final long CHECK_TIMEOUT_MS = 2000;
  private static final String RETRY_AFTER_SECONDS = "1";

  private Readiness() {
  }

  public static HealthChecks checks(Vertx vertx, Pool pool, boolean clustered) {
    HealthChecks checks = HealthChecks.create(vertx);
    checks.register("node", promise -> promise.complete(NodeState.draining(vertx) ? Status.KO() : Status.OK()));
    checks.register("database", CHECK_TIMEOUT_MS, promise -> DatabasePool.writable(pool)
        .onSuccess(rows -> promise.tryComplete(Status.OK()))
        .onFailure(failure -> promise.tryComplete(Status.KO(new JsonObject().put("reason", failure.getMessage())))));
    checks.register("breakers", promise -> promise.complete(Status.OK(new JsonObject(
        NodeState.breakers(vertx, "gateway")))));
    checks.register("payments-breakers", promise -> promise.complete(Status.OK(new JsonObject(
        NodeState.breakers(vertx, "payments")))));
    if (clustered) {
      checks.register("cluster", CHECK_TIMEOUT_MS, promise -> vertx.eventBus()
          .<JsonObject>request(Addresses.CLUSTER_HEALTH, null, new DeliveryOptions().setSendTimeout(CHECK_TIMEOUT_MS))
          .onSuccess(reply -> promise.tryComplete(new Status().setOk(reply.body().getBoolean("up", false))
              .setData(reply.body())))
          .onFailure(failure -> promise.tryComplete(Status.KO(new JsonObject().put("error", failure.getMessage())))));
    }
    return checks;
  }

  /** {@code /health/live} and {@code /health/ready} for the API port: status only. */
  public static void statusOnlyRoutes(Router router, HealthChecks checks) {
    router.get("/health/live").handler(ctx -> status(ctx, true));
    router.get("/health/ready").handler(ctx -> checks.checkStatus()
        .onComplete(result -> status(ctx, result.succeeded() && CheckResult.isUp(result.result()))));
  }

  /** The same two paths with every check's data, for the management listener. */
  public static void detailedRoutes(Router router, HealthChecks checks) {
    router.get("/health/live").handler(ctx -> status(ctx, true));
    router.get("/health/ready").handler(retryAfterWhenDown()).handler(HealthCheckHandler.createWithHealthChecks(checks));
  }

  private static Handler<RoutingContext> retryAfterWhenDown() {
    return ctx -> {
      ctx.addHeadersEndHandler(v -> {
        if (ctx.response().getStatusCode() == 503) {
          ctx.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
        }
      });
      ctx.next();
    };
  }

  private static void status(RoutingContext ctx, boolean up) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json");
    if (!up) {
      ctx.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
    }
    ctx.response().end(new JsonObject().put("status", up ? "UP" : "DOWN").encode());
  }
}
