package fincloud.gateway;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.List;

/**
 * The token keys of this node: the one given in the configuration ({@code gateway.signingKey}, a
 * private EC JWK), or those kept in the database for every node to share.
 */
record GatewayKeys(List<ECKey> keys) {

  static Future<GatewayKeys> load(Pool pool, GatewaySettings.Tokens tokens) {
    if (tokens.signingKey() != null) {
      return Future.succeededFuture(new GatewayKeys(List.of(SigningKeys.parse(tokens.signingKey()))));
    }
    return SigningKeys.loadOrCreate(pool).map(GatewayKeys::new);
  }

  TokenIssuer issuer(GatewaySettings.Tokens tokens) {
    return new TokenIssuer(keys.get(0), tokens.issuer(), tokens.audience(), tokens.ttlSeconds());
  }

  /** @param external the external identity provider, or null */
  TokenVerifier verifier(GatewaySettings.Tokens tokens, TokenVerifier.External external) {
    return new TokenVerifier(keys.stream().map(ECKey::toPublicJWK).toList(), tokens.issuer(), tokens.audience(),
        external);
  }

  /**
   * The external identity provider of {@code FINCLOUD_JWKS_URL}, or null without one. Its tokens
   * are told apart by their {@code iss}, {@code gateway.jwks.issuer}; their audience is
   * {@code gateway.jwks.audience}, by default the built-in one.
   */
  static TokenVerifier.External external(Vertx vertx, GatewaySettings.Jwks jwks) {
    if (jwks == null) {
      return null;
    }
    return new TokenVerifier.External(jwks.issuer(), jwks.audience(),
        new JwksKeys(vertx, jwks.url(), jwks.minRefreshMs()));
  }
}
