package fincloud.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The issuer's ES256 keys, generated on the first start and kept in the database so that every
 * node sharing it signs and verifies alike. The newest key signs; all verify (rotation: insert a
 * newer key, keep the old one until its tokens have expired).
 */
final class SigningKeys {
  private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('fincloud.signing_keys'))";
  private static final String ALL = "SELECT private_jwk FROM signing_keys ORDER BY created_at DESC, kid";
  private static final String INSERT =
      "INSERT INTO signing_keys (kid, algorithm, private_jwk) VALUES ($1, 'ES256', $2)";

  private SigningKeys() {
  }

  /** Newest first; creates the first key when there is none (once, also with many nodes starting). */
  static Future<List<ECKey>> loadOrCreate(Pool pool) {
    return pool.withTransaction(tx -> tx.query(LOCK).execute()
        .compose(locked -> tx.query(ALL).execute())
        .compose(rows -> {
          if (rows.size() > 0) {
            List<ECKey> keys = new ArrayList<>();
            rows.forEach(row -> keys.add(parse(row.getString(0))));
            return Future.succeededFuture(keys);
          }
          ECKey key = generate();
          return tx.preparedQuery(INSERT).execute(Tuple.of(key.getKeyID(), key.toJSONString()))
              .map(inserted -> List.of(key));
        }));
  }

  static ECKey generate() {
    try {
      return new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
          .keyID(UUID.randomUUID().toString()).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static ECKey parse(String jwk) {
    try {
      return ECKey.parse(jwk);
    } catch (ParseException e) {
      throw new IllegalStateException("a signing key in the database is not a valid EC JWK", e);
    }
  }
}
