package fincloud.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import java.util.UUID;

/** Issues the access tokens of the built-in OAuth server: ES256 JWTs, never HMAC, never unsigned. */
final class TokenIssuer {
  private final ECKey key;
  private final ECDSASigner signer;
  private final String issuer;
  private final String audience;
  private final long ttlSeconds;

  TokenIssuer(ECKey key, String issuer, String audience, long ttlSeconds) {
    try {
      this.key = key;
      this.signer = new ECDSASigner(key);
      this.issuer = issuer;
      this.audience = audience;
      this.ttlSeconds = ttlSeconds;
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  long ttlSeconds() {
    return ttlSeconds;
  }

  String issue(String clientId, String tenant, Set<String> scopes) {
    Instant now = Instant.now();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(issuer).audience(audience).subject(clientId)
        .claim("tenant", tenant).claim("scope", String.join(" ", scopes))
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(ttlSeconds)))
        .jwtID(UUID.randomUUID().toString())
        .build();
    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }
}
