package fincloud.gateway;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies bearer tokens: signature by a known key (ES256 or RS256 only, so neither {@code none}
 * nor an HMAC token "signed" with a public key passes), {@code exp} present and in the future,
 * {@code nbf} not in the future, the configured {@code iss} and {@code aud}, and the FinCloud claims
 * (tenant, scope, sub). A verified token is remembered until it expires, so that signature checks
 * do not dominate a request's cost. One instance per event loop: not thread-safe.
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

  private static final int CACHE_SIZE = 10_000;
  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final Map<String, Identity> verified = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Identity> eldest) {
      return size() > CACHE_SIZE;
    }
  };

  TokenVerifier(List<? extends JWK> keys, String issuer, String audience) {
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256),
        new ImmutableJWKSet<>(new JWKSet(List.copyOf(keys)))));
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience,
        new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp", "sub", "tenant", "scope"));
    claims.setMaxClockSkew(5);
    processor.setJWTClaimsSetVerifier(claims);
  }

  Identity verify(String token) throws InvalidToken {
    Identity known = verified.get(token);
    long now = System.currentTimeMillis();
    if (known != null && known.expiresAtMillis() > now) {
      return known;
    }
    try {
      JWTClaimsSet claims = processor.process(token, null);
      Identity identity = new Identity(claims.getSubject(), claims.getStringClaim("tenant"),
          Set.of(claims.getStringClaim("scope").trim().split("\\s+")), claims.getExpirationTime().getTime());
      if (identity.tenant() == null || identity.tenant().isBlank()) {
        throw new InvalidToken("no tenant");
      }
      verified.put(token, identity);
      return identity;
    } catch (InvalidToken e) {
      throw e;
    } catch (Exception e) {
      throw new InvalidToken(e.getMessage());
    }
  }
}
