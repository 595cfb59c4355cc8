package fincloud.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import fincloud.shared.KeyFile;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.text.ParseException;

/**
 * This node's private ES256 signing key, which never enters the database: from
 * {@code gateway.signingKey}, from the key file the configuration names (a mounted secret), or
 * generated once into the data folder. Only its public half is published to {@code signing_keys},
 * where every node reads the keys it verifies with ({@link PublishedKeys}).
 */
final class SigningKeys {
  private static final String PUBLISH = "INSERT INTO signing_keys (kid, algorithm, public_jwk) VALUES ($1, 'ES256', $2)"
      + " ON CONFLICT (kid) DO NOTHING";

  private SigningKeys() {
  }

  /** Blocking (file I/O): call on a worker. */
  static ECKey privateKey(GatewaySettings.Tokens tokens) {
    if (tokens.signingKey() != null) {
      return parse(tokens.signingKey(), "gateway.signingKey");
    }
    String text = tokens.keyFileGiven() ? KeyFile.read(tokens.keyFile(), "gateway.signingKeyFile")
        : KeyFile.readOrCreate(tokens.keyFile(), () -> generate().toJSONString());
    return parse(text, tokens.keyFile().toString());
  }

  /** Makes the key's public half known to every node (before it signs anything). */
  static Future<Void> publish(Pool pool, ECKey key) {
    return pool.preparedQuery(PUBLISH).execute(Tuple.of(key.getKeyID(), key.toPublicJWK().toJSONString()))
        .mapEmpty();
  }

  static ECKey generate() {
    try {
      ECKey key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).generate();
      return new ECKey.Builder(key).keyIDFromThumbprint().build();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A private EC P-256 JWK; without a kid, its thumbprint names it. */
  static ECKey parse(String jwk, String where) {
    try {
      if (!(JWK.parse(jwk) instanceof ECKey key) || !Curve.P_256.equals(key.getCurve()) || !key.isPrivate()) {
        throw new IllegalArgumentException(where + " must be a private EC P-256 JWK");
      }
      return key.getKeyID() != null ? key : new ECKey.Builder(key).keyIDFromThumbprint().build();
    } catch (ParseException | JOSEException e) {
      throw new IllegalArgumentException(where + " is not a valid JWK", e);
    }
  }
}
