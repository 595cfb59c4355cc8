package fincloud.gateway;

import fincloud.bus.BusReply;
import fincloud.bus.ServiceCalls;
import fincloud.shared.NodeMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;

/**
 * The gateway's protections that belong to the node rather than to one event loop: the service
 * calls with their circuit breakers, the in-flight bound, the body budget and the rate limits. The
 * first gateway instance creates them and leaves them in a local map, where the other instances of
 * the node find them.
 */
record GatewayGuards(ServiceCalls calls, InFlightLimit inFlight, BodyBudget bodies, ClientRateLimits rateLimits,
    GatewayMetrics metrics, AuditStreamSlots auditStreams) implements Shareable {

  private static final String MAP = "fincloud.gateway";

  static GatewayGuards of(Vertx vertx, GatewaySettings settings) {
    return vertx.sharedData().<String, GatewayGuards>getLocalMap(MAP)
        .computeIfAbsent("guards", key -> create(vertx, settings));
  }

  /**
   * The gateway's calls to services follow {@code gateway.breaker} and
   * {@code gateway.attemptTimeoutMs}; a call's deadline, its retries included, is
   * {@code gateway.breaker.timeoutMs}, never more than the request deadline.
   */
  private static GatewayGuards create(Vertx vertx, GatewaySettings settings) {
    GatewayMetrics metrics = new GatewayMetrics();
    ServiceCalls calls = new ServiceCalls(vertx, "gateway", settings.calls(), NodeMetrics.GATEWAY_CALLS);
    Routes.ALL.forEach(route -> calls.watch(BusReply.service(route.address())));
    BodyBudget bodies = new BodyBudget(settings.bodyBudget());
    metrics.bodyBytes(bodies);
    return new GatewayGuards(calls, new InFlightLimit(settings.maxInFlight(), metrics), bodies,
        new ClientRateLimits(vertx, settings.rateLimits()), metrics, new AuditStreamSlots(settings.auditStreams()));
  }
}
