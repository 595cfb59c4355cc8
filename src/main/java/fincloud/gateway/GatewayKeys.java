package fincloud.gateway;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

/**
 * The token keys of one gateway instance: this node's private key, which signs (published first,
 * so that no node meets a token of an unknown key for long), and the public keys of every node,
 * which verify.
 */
record GatewayKeys(ECKey signingKey, PublishedKeys published) {

  static Future<GatewayKeys> load(Vertx vertx, Pool pool, GatewaySettings.Tokens tokens) {
    PublishedKeys published = new PublishedKeys(pool, tokens.maxLifetimeSeconds());
    return vertx.executeBlocking(() -> SigningKeys.privateKey(tokens))
        .compose(key -> SigningKeys.publish(pool, key)
            .compose(done -> published.load())
            .map(loaded -> new GatewayKeys(key, published)));
  }

  TokenIssuer issuer(GatewaySettings.Tokens tokens) {
    return new TokenIssuer(signingKey, tokens.issuer(), tokens.audience(), tokens.ttlSeconds());
  }

  /** @param external the external identity provider, or null */
  TokenVerifier verifier(GatewaySettings.Tokens tokens, RevokedTokens revoked, TokenVerifier.External external) {
    return new TokenVerifier(published, tokens, revoked, external);
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
        new JwksKeys(vertx, jwks.url(), jwks.minRefreshMs()), jwks.tenants(), jwks.scopes());
  }
}
