package fincloud.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import fincloud.shared.ReservedTenants;
import io.vertx.core.Future;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies bearer tokens, of the built-in issuer (the keys every node published, chosen by
 * {@code kid}) or of an external identity provider (its keys from a JWKS): a signature by a known
 * key with an asymmetric algorithm only (so neither {@code none} nor an HMAC token "signed" with a
 * public key passes), {@code exp} present and in the future, {@code iat} present and
 * {@code exp - iat} at most {@code gateway.jwks.maxLifetimeSeconds}, {@code nbf} not in the future,
 * the issuer's {@code iss} and {@code aud}, the FinCloud claims (tenant, scope, sub), and a
 * {@code jti} not revoked. An external provider is trusted with the tenants and scopes of its
 * allow-lists only: a token naming another tenant fails, scopes outside the list are dropped. A
 * verified token is remembered until it expires, so that signature checks do not dominate a
 * request's cost (revocation is still checked on every use). One instance per event loop: not
 * thread-safe.
 */
final class TokenVerifier {
  /** What a verified token says about its holder. */
  record Identity(String clientId, String tenant, Set<String> scopes, long expiresAtMillis, String tokenId) {
  }

  /** Thrown for a token that must not be accepted; the message says why (for logs, not clients). */
  static final class InvalidToken extends Exception {
    InvalidToken(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * An external identity provider: tokens whose {@code iss} is {@code issuer} are checked
   * against its keys and {@code audience}; they must name their key ({@code kid}), one of
   * {@code tenants}, and get only the {@code scopes} of the allow-list.
   */
  record External(String issuer, String audience, JwksKeys keys, Set<String> tenants, Set<String> scopes) {
  }

  private static final Set<JWSAlgorithm> BUILT_IN_ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256);
  private static final Set<JWSAlgorithm> EXTERNAL_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
      JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256,
      JWSAlgorithm.ES384, JWSAlgorithm.ES512);
  private static final int CACHE_SIZE = 10_000;

  private final PublishedKeys builtInKeys;
  private final DefaultJWTProcessor<SecurityContext> builtIn;
  private final long maxLifetimeMillis;
  private final RevokedTokens revoked;
  private final External external;
  private final DefaultJWTProcessor<SecurityContext> externalProcessor;
  private final Map<String, Identity> verified = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Identity> eldest) {
      return size() > CACHE_SIZE;
    }
  };

  /** @param external null when only the built-in issuer's tokens are accepted */
  TokenVerifier(PublishedKeys keys, GatewaySettings.Tokens tokens, RevokedTokens revoked, External external) {
    this.builtInKeys = keys;
    this.builtIn = processor(keys, BUILT_IN_ALGORITHMS, tokens.issuer(), tokens.audience());
    this.maxLifetimeMillis = tokens.maxLifetimeSeconds() * 1000;
    this.revoked = revoked;
    this.external = external;
    this.externalProcessor = external == null ? null
        : processor(external.keys(), EXTERNAL_ALGORITHMS, external.issuer(), external.audience());
  }

  private static DefaultJWTProcessor<SecurityContext> processor(JWKSource<SecurityContext> keys,
      Set<JWSAlgorithm> algorithms, String issuer, String audience) {
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience,
        new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp", "iat", "sub", "tenant", "scope"));
    claims.setMaxClockSkew(5);
    processor.setJWTClaimsSetVerifier(claims);
    return processor;
  }

  /** The holder's identity, or a failed future with {@link InvalidToken}. */
  Future<Identity> verify(String token) {
    Identity known = verified.get(token);
    if (known != null && known.expiresAtMillis() > System.currentTimeMillis()) {
      return notRevoked(known);
    }
    SignedJWT jwt;
    try {
      // A JWS header with alg "none" or no alg does not parse: unsigned tokens stop here.
      jwt = SignedJWT.parse(token);
    } catch (ParseException e) {
      return Future.failedFuture(new InvalidToken("not a signed JWT: " + e.getMessage()));
    }
    String kid = jwt.getHeader().getKeyID();
    if (external != null && external.issuer().equals(unverifiedIssuer(jwt))) {
      if (kid == null) {
        return Future.failedFuture(new InvalidToken("a token of the external issuer must name its key (kid)"));
      }
      return external.keys().ensure(kid).compose(held -> process(token, jwt, externalProcessor, external));
    }
    return builtInKeys.ensure(kid).compose(held -> process(token, jwt, builtIn, null));
  }

  private Future<Identity> notRevoked(Identity identity) {
    return identity.tokenId() != null && revoked.contains(identity.tenant(), identity.tokenId())
        ? Future.failedFuture(new InvalidToken("the token was revoked")) : Future.succeededFuture(identity);
  }

  /** @param provider the external provider whose allow-lists apply, or null for the built-in issuer */
  private Future<Identity> process(String token, SignedJWT jwt, DefaultJWTProcessor<SecurityContext> processor,
      External provider) {
    try {
      JWTClaimsSet claims = processor.process(jwt, null);
      long lifetimeMillis = claims.getExpirationTime().getTime() - claims.getIssueTime().getTime();
      if (lifetimeMillis > maxLifetimeMillis) {
        return Future.failedFuture(new InvalidToken("a lifetime (exp - iat) of " + lifetimeMillis / 1000
            + " s, above gateway.jwks.maxLifetimeSeconds"));
      }
      String tenant = claims.getStringClaim("tenant");
      if (tenant == null || tenant.isBlank()) {
        return Future.failedFuture(new InvalidToken("no tenant"));
      }
      if (provider != null && !provider.tenants().contains(tenant)) {
        return Future.failedFuture(new InvalidToken("tenant " + tenant + " is not in gateway.jwks.tenants"));
      }
      Set<String> scopes = new LinkedHashSet<>(List.of(claims.getStringClaim("scope").trim().split("\\s+")));
      if (provider != null) {
        scopes.retainAll(provider.scopes());
      }
      Identity identity = new Identity(claims.getSubject(), tenant, Set.copyOf(scopes),
          claims.getExpirationTime().getTime(), claims.getJWTID());
      // An identity provider's token is held to the rules of configured clients: no _system
      // tenant, and the operator scope only for the platform operator's tenant.
      String reserved = ReservedTenants.refusal(identity.tenant(), identity.scopes());
      if (reserved != null) {
        return Future.failedFuture(new InvalidToken(reserved));
      }
      verified.put(token, identity);
      return notRevoked(identity);
    } catch (BadJOSEException | JOSEException | ParseException | RuntimeException e) {
      return Future.failedFuture(new InvalidToken(e.getMessage()));
    }
  }

  private static String unverifiedIssuer(SignedJWT jwt) {
    try {
      return jwt.getJWTClaimsSet().getIssuer();
    } catch (ParseException e) {
      return null;
    }
  }
}
