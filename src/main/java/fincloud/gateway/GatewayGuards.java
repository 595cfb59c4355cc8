package fincloud.gateway;

import fincloud.bus.BusReply;
import fincloud.shared.RequestDeadline;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;

/**
 * The gateway's protections that belong to the node rather than to one event loop: the circuit
 * breakers, the in-flight bound, the body budget and the rate limits. The first gateway instance creates them and
 * leaves them in a local map, where the other instances of the node find them.
 */
record GatewayGuards(ServiceBreakers breakers, InFlightLimit inFlight, BodyBudget bodies, ClientRateLimits rateLimits,
    GatewayMetrics metrics) implements Shareable {

  private static final String MAP = "fincloud.gateway";

  /** @param breaker the {@code gateway.breaker} section */
  static GatewayGuards of(Vertx vertx, GatewaySettings settings, JsonObject breaker) {
    return vertx.sharedData().<String, GatewayGuards>getLocalMap(MAP)
        .computeIfAbsent("guards", key -> create(vertx, settings, breaker));
  }

  private static GatewayGuards create(Vertx vertx, GatewaySettings settings, JsonObject breaker) {
    GatewayMetrics metrics = new GatewayMetrics();
    ServiceBreakers breakers = new ServiceBreakers(vertx, breaker, callTimeoutMs(breaker, settings.deadline()),
        metrics);
    Routes.ALL.forEach(route -> breakers.of(BusReply.service(route.address())));
    BodyBudget bodies = new BodyBudget(settings.bodyBudget());
    metrics.bodyBytes(bodies);
    return new GatewayGuards(breakers, new InFlightLimit(settings.maxInFlight(), metrics), bodies,
        new ClientRateLimits(settings.rateLimits()), metrics);
  }

  /**
   * How long the gateway waits for one service call, its retries included (each attempt has its
   * own, shorter timeout: {@code gateway.attemptTimeoutMs}): {@code gateway.breaker.timeoutMs},
   * never more than the request deadline {@code FINCLOUD_REQUEST_TIMEOUT_MS}, which is its default.
   */
  static long callTimeoutMs(JsonObject breaker, RequestDeadline deadline) {
    return Math.min(breaker.getLong("timeoutMs", deadline.ms()), deadline.ms());
  }
}
