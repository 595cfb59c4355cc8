package fincloud.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies bearer tokens, of the built-in issuer or of an external identity provider (its keys
 * from a JWKS, chosen by {@code kid}): a signature by a known key with an asymmetric algorithm only
 * (so neither {@code none} nor an HMAC token "signed" with a public key passes), {@code exp}
 * present and in the future, {@code nbf} not in the future, the issuer's {@code iss} and
 * {@code aud}, and the FinCloud claims (tenant, scope, sub). A verified token is remembered until
 * it expires, so that signature checks do not dominate a request's cost. One instance per event
 * loop: not thread-safe.
 */
final class TokenVerifier {
  /** What a verified token says about its holder. */
  record Identity(String clientId, String tenant, Set<String> scopes, long expiresAtMillis) {
  }

  /** Thrown for a token that must not be accepted; the message says why (for logs, not clients). */
  static final class InvalidToken extends Exception {
    InvalidToken(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * An external identity provider: tokens whose {@code iss} is {@code issuer} are checked
   * against its keys and {@code audience}; they must name their key ({@code kid}).
   */
  record External(String issuer, String audience, JwksKeys keys) {
  }

  private static final Set<JWSAlgorithm> BUILT_IN_ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256);
  private static final Set<JWSAlgorithm> EXTERNAL_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
      JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256,
      JWSAlgorithm.ES384, JWSAlgorithm.ES512);
  private static final int CACHE_SIZE = 10_000;

  private final DefaultJWTProcessor<SecurityContext> builtIn;
  private final External external;
  private final DefaultJWTProcessor<SecurityContext> externalProcessor;
  private final Map<String, Identity> verified = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Identity> eldest) {
      return size() > CACHE_SIZE;
    }
  };

  /** @param external null when only the built-in issuer's tokens are accepted */
  TokenVerifier(List<? extends JWK> keys, String issuer, String audience, External external) {
    this.builtIn = processor(new ImmutableJWKSet<>(new JWKSet(List.copyOf(keys))), BUILT_IN_ALGORITHMS, issuer,
        audience);
    this.external = external;
    this.externalProcessor = external == null ? null
        : processor(external.keys(), EXTERNAL_ALGORITHMS, external.issuer(), external.audience());
  }

  private static DefaultJWTProcessor<SecurityContext> processor(JWKSource<SecurityContext> keys,
      Set<JWSAlgorithm> algorithms, String issuer, String audience) {
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience,
        new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp", "sub", "tenant", "scope"));
    claims.setMaxClockSkew(5);
    processor.setJWTClaimsSetVerifier(claims);
    return processor;
  }

  /** The holder's identity, or a failed future with {@link InvalidToken}. */
  Future<Identity> verify(String token) {
    Identity known = verified.get(token);
    if (known != null && known.expiresAtMillis() > System.currentTimeMillis()) {
      return Future.succeededFuture(known);
    }
    SignedJWT jwt;
    try {
      // A JWS header with alg "none" or no alg does not parse: unsigned tokens stop here.
      jwt = SignedJWT.parse(token);
    } catch (ParseException e) {
      return Future.failedFuture(new InvalidToken("not a signed JWT: " + e.getMessage()));
    }
    if (external != null && external.issuer().equals(unverifiedIssuer(jwt))) {
      String kid = jwt.getHeader().getKeyID();
      if (kid == null) {
        return Future.failedFuture(new InvalidToken("a token of the external issuer must name its key (kid)"));
      }
      return external.keys().ensure(kid).compose(held -> process(token, jwt, externalProcessor));
    }
    return process(token, jwt, builtIn);
  }

  private Future<Identity> process(String token, SignedJWT jwt, DefaultJWTProcessor<SecurityContext> processor) {
    try {
      JWTClaimsSet claims = processor.process(jwt, null);
      String scope = claims.getStringClaim("scope");
      Identity identity = new Identity(claims.getSubject(), claims.getStringClaim("tenant"),
          Set.of(scope.trim().split("\\s+")), claims.getExpirationTime().getTime());
      if (identity.tenant() == null || identity.tenant().isBlank()) {
        return Future.failedFuture(new InvalidToken("no tenant"));
      }
      // An identity provider's token is held to the rules of configured clients: no _system
      // tenant, and the operator scope only for the platform operator's tenant.
      String reserved = ReservedTenants.refusal(identity.tenant(), identity.scopes());
      if (reserved != null) {
        return Future.failedFuture(new InvalidToken(reserved));
      }
      verified.put(token, identity);
      return Future.succeededFuture(identity);
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
