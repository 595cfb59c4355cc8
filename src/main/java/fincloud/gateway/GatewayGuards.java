package fincloud.gateway;

import fincloud.bus.BusReply;
import fincloud.bus.CallPolicy;
import fincloud.bus.ServiceCalls;
import fincloud.shared.NodeMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;

/**
 * The gateway's protections that belong to the node rather than to one event loop: the service
 * calls with their circuit breakers, the in-flight bound, the body budget and the rate limits. The
 * first gateway instance creates them and leaves them in a local map, where the other instances of
 * the node find them.
 */
record GatewayGuards(ServiceCalls calls, InFlightLimit inFlight, BodyBudget bodies, ClientRateLimits rateLimits,
    GatewayMetrics metrics) implements Shareable {

  private static final String MAP = "fincloud.gateway";

  static GatewayGuards of(Vertx vertx, JsonObject config) {
    return vertx.sharedData().<String, GatewayGuards>getLocalMap(MAP)
        .computeIfAbsent("guards", key -> create(vertx, config));
  }

  private static GatewayGuards create(Vertx vertx, JsonObject config) {
    JsonObject gateway = config.getJsonObject("gateway", new JsonObject());
    GatewayMetrics metrics = new GatewayMetrics();
    ServiceCalls calls = new ServiceCalls(vertx, "gateway", callPolicy(config), NodeMetrics.GATEWAY_CALLS);
    Routes.ALL.forEach(route -> calls.watch(BusReply.service(route.address())));
    long largestBody = Routes.EVERY.stream().mapToLong(ApiRoute::maxBodyBytes).max().orElse(0);
    BodyBudget bodies = new BodyBudget(gateway.getJsonObject("bodyBudget", new JsonObject()), largestBody);
    metrics.bodyBytes(bodies);
    return new GatewayGuards(calls, new InFlightLimit(gateway.getInteger("maxInFlight", 4096), metrics), bodies,
        new ClientRateLimits(gateway.getJsonObject("rateLimits", new JsonObject())), metrics);
  }

  /**
   * The gateway's calls to services: {@code gateway.breaker} and {@code gateway.attemptTimeoutMs};
   * a call's deadline, its retries included, is {@code gateway.breaker.timeoutMs}, never more than
   * the request deadline {@code FINCLOUD_REQUEST_TIMEOUT_MS}, which is its default.
   */
  static CallPolicy callPolicy(JsonObject config) {
    long deadline = config.getLong("FINCLOUD_REQUEST_TIMEOUT_MS", 10_000L);
    return CallPolicy.from(config.getJsonObject("gateway", new JsonObject()), deadline, deadline);
  }
}
