package fincloud.gateway;

import static net.logstash.logback.argument.StructuredArguments.keyValue;

import fincloud.shared.StageTimes;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every request leaves behind: a {@code Server-Timing} header with the time per stage
 * (the gateway's own, the service's and the stages it reported: risk, ledger, database, ...,
 * and the total), and one log line at its end with request id, tenant, client, route, status and
 * time (logger {@code fincloud.access}; fields of their own in JSON logs).
 */
final class RequestTelemetry implements Handler<RoutingContext> {
  static final String ROUTE = "telemetry.route";
  static final String TENANT = "telemetry.tenant";
  static final String CLIENT = "telemetry.client";
  private static final String DOWNSTREAM_NANOS = "telemetry.downstreamNanos";
  private static final String STAGES = "telemetry.stages";
  private static final Logger ACCESS = LoggerFactory.getLogger("fincloud.access");

  @Override
  public void handle(RoutingContext ctx) {
    long started = System.nanoTime();
    ctx.addHeadersEndHandler(v -> ctx.response().putHeader("Server-Timing", serverTiming(ctx, started)));
    ctx.addEndHandler(done -> log(ctx, started, done.succeeded()));
    ctx.next();
  }

  /** The round trip to the service and the stages it reported in its reply (may be null). */
  static void downstream(RoutingContext ctx, long nanos, String stages) {
    ctx.put(DOWNSTREAM_NANOS, nanos);
    if (stages != null) {
      ctx.put(STAGES, stages);
    }
  }

  static void caller(RoutingContext ctx, String tenant, String clientId) {
    ctx.put(TENANT, tenant);
    ctx.put(CLIENT, clientId);
  }

  private static String serverTiming(RoutingContext ctx, long started) {
    long total = System.nanoTime() - started;
    Long downstream = ctx.get(DOWNSTREAM_NANOS);
    String stages = ctx.get(STAGES);
    StringBuilder header = StageTimes.appendEntry(new StringBuilder(128), "gateway",
        downstream == null ? total : total - downstream);
    if (stages != null) {
      header.append(", ").append(stages);
    }
    return StageTimes.appendEntry(header.append(", "), "total", total).toString();
  }

  private static void log(RoutingContext ctx, long started, boolean sent) {
    if (!ACCESS.isInfoEnabled()) {
      return;
    }
    String route = ctx.get(ROUTE);
    ACCESS.info("{} {} {} {} {} {} {} {}",
        keyValue("requestId", HttpAnswers.requestId(ctx)),
        keyValue("method", ctx.request().method().name()),
        keyValue("route", route != null ? route : ctx.currentRoute() != null && ctx.currentRoute().getPath() != null
            ? ctx.currentRoute().getPath() : "-"),
        keyValue("status", sent ? ctx.response().getStatusCode() : 0),
        keyValue("durationMs", Math.round((System.nanoTime() - started) / 1e4) / 100.0),
        keyValue("tenant", ctx.get(TENANT)),
        keyValue("client", ctx.get(CLIENT)),
        keyValue("path", ctx.request().path()));
  }
}
