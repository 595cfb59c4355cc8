package fincloud.gateway;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signing keys of an external identity provider, read from its JWKS URL with the Vert.x web
 * client (so no blocking fetch ever runs on an event loop) and held in memory for nimbus to choose
 * from by {@code kid}. A token naming a key not held yet triggers a fetch, at most one per
 * {@code minRefreshMs}: a key the provider has just published is accepted without a restart, while
 * a flood of made-up kids cannot turn the gateway against the provider. Symmetric keys in the set
 * are dropped. One per gateway instance, used from its event loop only.
 */
final class JwksKeys implements JWKSource<SecurityContext> {
  private static final Logger LOG = LoggerFactory.getLogger(JwksKeys.class);
  private static final long FETCH_TIMEOUT_MS = 5000;

  private final WebClient web;
  private final String url;
  private final long minRefreshNanos;
  private volatile JWKSet keys = new JWKSet();
  private Future<Void> fetching;
  private long lastFetch;
  private boolean fetched;

  JwksKeys(Vertx vertx, String url, long minRefreshMs) {
    this.web = WebClient.create(vertx);
    this.url = url;
    this.minRefreshNanos = minRefreshMs * 1_000_000L;
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) {
    return selector.select(keys);
  }

  boolean knows(String kid) {
    return keys.getKeyByKeyId(kid) != null;
  }

  /** Completes when the key is held, or when it could not be had now (the token then fails). */
  Future<Void> ensure(String kid) {
    if (knows(kid)) {
      return Future.succeededFuture();
    }
    if (fetching == null && fetched && System.nanoTime() - lastFetch < minRefreshNanos) {
      return Future.succeededFuture();
    }
    return refresh().recover(failure -> Future.succeededFuture());
  }

  /** Fetches the set now (at start and periodically), or joins the fetch under way. */
  Future<Void> refresh() {
    if (fetching != null) {
      return fetching;
    }
    fetched = true;
    lastFetch = System.nanoTime();
    Future<Void> fetch = web.getAbs(url).timeout(FETCH_TIMEOUT_MS).send().map(response -> {
      if (response.statusCode() != 200) {
        throw new IllegalStateException("the JWKS URL answered " + response.statusCode());
      }
      try {
        keys = JWKSet.parse(response.bodyAsString()).toPublicJWKSet();
      } catch (java.text.ParseException e) {
        throw new IllegalStateException("the JWKS is not a JSON Web Key Set: " + e.getMessage());
      }
      return (Void) null;
    }).onFailure(failure -> LOG.warn("could not read the identity provider's keys from {}: {}", url,
        failure.getMessage()));
    fetching = fetch;
    fetch.onComplete(done -> fetching = null);
    return fetch;
  }

  void close() {
    web.close();
  }
}
