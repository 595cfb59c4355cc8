package fincloud.gateway;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.Future;
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

  TokenVerifier verifier(JsonObject config) {
    return new TokenVerifier(keys.stream().map(ECKey::toPublicJWK).toList(), issuerName(config), audience(config));
  }

  private static String issuerName(JsonObject config) {
    return config.getString("FINCLOUD_TOKEN_ISSUER", "fincloud");
  }

  private static String audience(JsonObject config) {
    return config.getString("FINCLOUD_TOKEN_AUDIENCE", "fincloud");
  }
}
