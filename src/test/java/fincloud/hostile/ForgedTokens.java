package fincloud.hostile;

import static fincloud.hostile.HostileJson.utf8;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/** Tokens that must not be accepted: another key, alg none, HMAC, a swapped payload, tampered, cut. */
final class ForgedTokens {
  private ForgedTokens() {
  }

  /** The claims of the acme admin with every scope: what a forger would want. */
  static JWTClaimsSet wanted() {
    return new JWTClaimsSet.Builder().issuer("fincloud").audience("fincloud").subject("acme-admin")
        .claim("tenant", "acme").claim("scope", String.join(" ", HostileNode.SCOPES))
        .expirationTime(new Date(System.currentTimeMillis() + 3_600_000)).jwtID(UUID.randomUUID().toString()).build();
  }

  static String signedByAnotherKey() {
    try {
      SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.ES256), wanted());
      token.sign(new ECDSASigner(new ECKeyGenerator(Curve.P_256).generate()));
      return token.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** @param real a token the node issued, to tamper with */
  static List<String> all(String real) {
    try {
      SignedJWT hmac = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), wanted());
      hmac.sign(new MACSigner(new byte[32]));
      Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
      String claims = b64.encodeToString(utf8(wanted().toString()));
      String none = b64.encodeToString(utf8("{\"alg\":\"none\"}")) + "." + claims + ".";
      String[] parts = real.split("\\.");
      String swappedPayload = parts[0] + "." + claims + "." + parts[2];
      // Not the last character: its low bits may be base64 padding that changes nothing.
      int at = real.length() - 10;
      String tampered = real.substring(0, at) + (real.charAt(at) == 'A' ? 'B' : 'A') + real.substring(at + 1);
      return List.of(signedByAnotherKey(), hmac.serialize(), none, swappedPayload, tampered,
          real.substring(0, real.length() / 2), "x.y.z", "", "a".repeat(9_000), real + "." + real);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }
}
