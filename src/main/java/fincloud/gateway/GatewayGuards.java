package fincloud.gateway;

import fincloud.bus.BusReply;
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

  static GatewayGuards of(Vertx vertx, JsonObject config) {
    return vertx.sharedData().<String, GatewayGuards>getLocalMap(MAP)
        .computeIfAbsent("guards", key -> create(vertx, config));
  }

  private static GatewayGuards create(Vertx vertx, JsonObject config) {
    JsonObject gateway = config.getJsonObject("gateway", new JsonObject());
    GatewayMetrics metrics = new GatewayMetrics();
    ServiceBreakers breakers = new ServiceBreakers(vertx, gateway.getJsonObject("breaker", new JsonObject()),
        callTimeoutMs(config), metrics);
    Routes.ALL.forEach(route -> breakers.of(BusReply.service(route.address())));
    long largestBody = Routes.EVERY.stream().mapToLong(ApiRoute::maxBodyBytes).max().orElse(0);
    BodyBudget bodies = new BodyBudget(gateway.getJsonObject("bodyBudget", new JsonObject()), largestBody);
    metrics.bodyBytes(bodies);
    return new GatewayGuards(breakers, new InFlightLimit(gateway.getInteger("maxInFlight", 4096), metrics), bodies,
        new ClientRateLimits(gateway.getJsonObject("rateLimits", new JsonObject())), metrics);
  }

  /**
   * How long the gateway waits for one service call, its retries included (each attempt has its
   * own, shorter timeout: {@code gateway.attemptTimeoutMs}): {@code gateway.breaker.timeoutMs},
   * never more than the request deadline {@code FINCLOUD_REQUEST_TIMEOUT_MS}, which is its default.
   */
  static long callTimeoutMs(JsonObject config) {
    long deadline = config.getLong("FINCLOUD_REQUEST_TIMEOUT_MS", 10_000L);
    long breaker = config.getJsonObject("gateway", new JsonObject()).getJsonObject("breaker", new JsonObject())
        .getLong("timeoutMs", deadline);
    return Math.min(breaker, deadline);
  }
}
