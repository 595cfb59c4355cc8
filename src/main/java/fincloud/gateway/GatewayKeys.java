package fincloud.gateway;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.List;

/**
 * The token keys of this node: the one given in the configuration ({@code gateway.signingKey}, a
 * private EC JWK), or those kept in the database for every node to share.
 */
record GatewayKeys(List<ECKey> keys) {

  static Future<GatewayKeys> load(Pool pool, JsonObject config) {
    String configured = config.getJsonObject("gateway", new JsonObject()).getString("signingKey");
    if (configured != null && !configured.isBlank()) {
      return Future.succeededFuture(new GatewayKeys(List.of(SigningKeys.parse(configured))));
    }
    return SigningKeys.loadOrCreate(pool).map(GatewayKeys::new);
  }

  TokenIssuer issuer(JsonObject config) {
    return new TokenIssuer(keys.get(0), issuerName(config), audience(config),
        config.getLong("FINCLOUD_TOKEN_TTL_SECONDS", 3600L));
  }

  /** @param external the external identity provider, or null */
  TokenVerifier verifier(JsonObject config, TokenVerifier.External external) {
    return new TokenVerifier(keys.stream().map(ECKey::toPublicJWK).toList(), issuerName(config), audience(config),
        external);
  }

  /**
   * The external identity provider of {@code FINCLOUD_JWKS_URL}, or null without one. Its tokens
   * are told apart by their {@code iss}, {@code gateway.jwks.issuer} (required with a JWKS URL);
   * their audience is {@code gateway.jwks.audience}, by default the built-in one.
   */
  static TokenVerifier.External external(Vertx vertx, JsonObject config) {
    String url = config.getString("FINCLOUD_JWKS_URL");
    if (url == null || url.isBlank()) {
      return null;
    }
    JsonObject jwks = config.getJsonObject("gateway", new JsonObject()).getJsonObject("jwks", new JsonObject());
    String issuer = jwks.getString("issuer");
    if (issuer == null || issuer.isBlank() || issuer.equals(issuerName(config))) {
      throw new IllegalArgumentException("FINCLOUD_JWKS_URL needs gateway.jwks.issuer: the iss of the identity "
          + "provider's tokens, other than the built-in issuer " + issuerName(config));
    }
    return new TokenVerifier.External(issuer, jwks.getString("audience", audience(config)),
        new JwksKeys(vertx, url, jwks.getLong("minRefreshMs", 10_000L)));
  }

  private static String issuerName(JsonObject config) {
    return config.getString("FINCLOUD_TOKEN_ISSUER", "fincloud");
  }

  private static String audience(JsonObject config) {
    return config.getString("FINCLOUD_TOKEN_AUDIENCE", "fincloud");
  }
}
