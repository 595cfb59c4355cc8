package fincloud.gateway;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public keys of the built-in issuer that every node has published to {@code signing_keys}:
 * those not retired, and those retired less than the longest token lifetime ago (their tokens may
 * still be alive). Read again every {@link #POLL_MS} and when a token names a key not held yet (at
 * most once per {@link #MIN_RELOAD_MS}), so that a node started with a new key is trusted by the
 * others within seconds, without a restart. One per gateway instance, used from its event loop.
 */
final class PublishedKeys implements JWKSource<SecurityContext> {
  static final long POLL_MS = 2000;
  static final long MIN_RELOAD_MS = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(PublishedKeys.class);
  private static final String VALID = "SELECT public_jwk FROM signing_keys"
      + " WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)";

  private final Pool pool;
  private final long maxLifetimeSeconds;
  private volatile JWKSet keys = new JWKSet();
  private Future<Void> loading;
  private long lastLoadNanos;

  PublishedKeys(Pool pool, long maxLifetimeSeconds) {
    this.pool = pool;
    this.maxLifetimeSeconds = maxLifetimeSeconds;
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) {
    return selector.select(keys);
  }

  /** Completes when the key is held, or when it could not be had now (the token then fails). */
  Future<Void> ensure(String kid) {
    if (kid != null && keys.getKeyByKeyId(kid) != null
        || loading == null && System.nanoTime() - lastLoadNanos < MIN_RELOAD_MS * 1_000_000) {
      return Future.succeededFuture();
    }
    return load().recover(failure -> Future.succeededFuture());
  }

  /** Reads the table now, or joins the read under way. */
  Future<Void> load() {
    if (loading != null) {
      return loading;
    }
    lastLoadNanos = System.nanoTime();
    Future<Void> load = pool.preparedQuery(VALID).execute(Tuple.of((double) maxLifetimeSeconds)).map(rows -> {
      List<JWK> valid = new ArrayList<>();
      rows.forEach(row -> valid.add(parse(row.getString(0))));
      keys = new JWKSet(valid);
      return (Void) null;
    }).onFailure(failure -> LOG.warn("could not read the published signing keys: {}", failure.getMessage()));
    loading = load;
    load.onComplete(done -> loading = null);
    return load;
  }

  private static JWK parse(String jwk) {
    try {
      return ECKey.parse(jwk).toPublicJWK();
    } catch (ParseException e) {
      throw new IllegalStateException("a published signing key is not a valid EC JWK", e);
    }
  }
}
