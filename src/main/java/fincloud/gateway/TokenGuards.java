package fincloud.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;

/**
 * The token endpoint's protections, one per node like {@link GatewayGuards}: the limits per client
 * id and per address, and the bounded pool that checks secrets.
 */
record TokenGuards(TokenRequestLimits limits, SecretHashing hashing) implements Shareable {
  private static final String MAP = "fincloud.gateway.token";

  static TokenGuards of(Vertx vertx, GatewaySettings.TokenLimits settings) {
    return vertx.sharedData().<String, TokenGuards>getLocalMap(MAP).computeIfAbsent("guards", key ->
        new TokenGuards(new TokenRequestLimits(settings),
            new SecretHashing(vertx, settings.hashingThreads(), settings.hashingMaxWaiting(), SecretHash::matches)));
  }
}
