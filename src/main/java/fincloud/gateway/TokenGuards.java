package fincloud.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The token endpoint's protections, one per node like {@link GatewayGuards}: the limits per client
 * id and per address, and the bound on secret checks waiting for the pool that does them.
 */
record TokenGuards(TokenRequestLimits limits, AtomicInteger hashingWaiting) implements Shareable {
  private static final String MAP = "fincloud.gateway.token";

  static TokenGuards of(Vertx vertx, GatewaySettings.TokenLimits settings) {
    return vertx.sharedData().<String, TokenGuards>getLocalMap(MAP).computeIfAbsent("guards", key ->
        new TokenGuards(new TokenRequestLimits(settings), new AtomicInteger()));
  }

  /**
   * This gateway instance's secret checks. The pool is made in the instance's own context, so that
   * it lives as long as some instance of the node does: a gateway undeployed and deployed again
   * (the node restarted on the same Vert.x) gets a live one.
   */
  SecretHashing hashing(Vertx vertx, GatewaySettings.TokenLimits settings) {
    return new SecretHashing(vertx, settings.hashingThreads(), settings.hashingMaxWaiting(), hashingWaiting,
        SecretHash::matches);
  }
}
