package fincloud.audit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import fincloud.shared.CanonicalJson;
import fincloud.shared.KeyFile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys of signed checkpoints. They never touch the database, so that someone who can rewrite
 * the database cannot sign a rewritten chain: the private key comes from the configuration
 * ({@code audit.signingKey}, an EC P-256 JWK) or from a key file in the data folder that is
 * generated on the first start; the verifier trusts only this key and the public keys listed in
 * {@code audit.verifyKeys} (earlier keys after a rotation, the keys of other nodes), which are
 * also what {@code GET /v1/audit/keys} serves. A cluster shares one key through its configuration,
 * or lists every node's public key in {@code verifyKeys}.
 */
final class CheckpointKeys {
  private final ECKey signingKey;
  private final ECDSASigner signer;
  private final Map<String, ECKey> trusted = new LinkedHashMap<>();
  private final VerifiedSignatures verified = new VerifiedSignatures();

  CheckpointKeys(ECKey signingKey, Iterable<ECKey> verifyKeys) {
    try {
      this.signingKey = signingKey;
      this.signer = new ECDSASigner(signingKey);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("the audit signing key cannot sign ES256", e);
    }
    trusted.put(signingKey.getKeyID(), signingKey.toPublicJWK());
    verifyKeys.forEach(key -> trusted.putIfAbsent(key.getKeyID(), key.toPublicJWK()));
  }

  /**
   * Reads the keys the configuration names: {@code audit.signingKey}, or the key file
   * {@code audit.keyFile} / {@code FINCLOUD_AUDIT_KEY_FILE} (a mounted secret: it must exist), or
   * else the data folder's key file, created on the first start. Blocking: file I/O.
   */
  static CheckpointKeys load(AuditSettings settings) {
    ECKey key = settings.signingKey() != null ? parse(settings.signingKey(), "audit.signingKey")
        : settings.keyFileGiven() ? parse(KeyFile.read(settings.keyFile(), "audit.keyFile"), settings.keyFile().toString())
        : loadOrCreate(settings.keyFile());
    if (!key.isPrivate()) {
      throw new IllegalArgumentException("the audit signing key must be a private EC JWK");
    }
    return new CheckpointKeys(key, settings.verifyKeys().stream().map(k -> parse(k, "audit.verifyKeys")).toList());
  }

  static ECKey generate() {
    try {
      ECKey key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
          .generate();
      return new ECKey.Builder(key).keyIDFromThumbprint().build();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  String kid() {
    return signingKey.getKeyID();
  }

  /** The signing key with its private half: only for a demo cluster's shared map. */
  String privateJwk() {
    return signingKey.toJSONString();
  }

  /** These keys signing with {@code jwk} (a private EC JWK) from now on, still trusting every key they trust. */
  CheckpointKeys adopting(String jwk, String where) {
    return new CheckpointKeys(parse(jwk, where), List.copyOf(trusted.values()));
  }

  /** A compact JWS (ES256) over the canonical JSON of the payload. */
  String sign(JsonObject payload) {
    JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(signingKey.getKeyID())
        .type(new JOSEObjectType("fincloud-audit-checkpoint")).build(), new Payload(CanonicalJson.of(payload)));
    try {
      jws.sign(signer);
      return jws.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException("signing a checkpoint failed", e);
    }
  }

  /**
   * The payload of a JWS that one of the trusted keys signed (ES256), else null; a signature is
   * checked once ({@link VerifiedSignatures}).
   */
  JsonObject verify(String compact) {
    JsonObject known = compact == null ? null : verified.payload(compact);
    if (known != null) {
      return known;
    }
    try {
      JWSObject jws = JWSObject.parse(compact);
      ECKey key = trusted.get(jws.getHeader().getKeyID());
      if (key == null || !JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())
          || !jws.verify(new ECDSAVerifier(key))) {
        return null;
      }
      JsonObject payload = new JsonObject(jws.getPayload().toString());
      verified.held(compact, payload);
      return payload;
    } catch (ParseException | JOSEException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The trusted public keys as a JWK Set (RFC 7517), never private material, each with its
   * validity in the chain ({@code signing}: the key this node signs with now; how many
   * checkpoints it signed, the first and the last); and, under {@code unknownKeys}, the key ids
   * that signed checkpoints but are trusted by no configuration (keys nobody keeps: their
   * checkpoints cannot be verified).
   *
   * @param use what {@code AuditLog.keyUse} read: kid to its checkpoints' count and times
   */
  JsonObject publicJwkSet(Map<String, JsonObject> use) {
    JsonArray keys = new JsonArray();
    trusted.values().forEach(key -> keys.add(new JsonObject(key.toPublicJWK().toJSONObject())
        .put("signing", key.getKeyID().equals(signingKey.getKeyID()))
        .mergeIn(use.getOrDefault(key.getKeyID(), new JsonObject().put("checkpoints", 0)
            .putNull("firstCheckpointAt").putNull("lastCheckpointAt")))));
    JsonArray unknown = new JsonArray();
    use.forEach((kid, validity) -> {
      if (!trusted.containsKey(kid)) {
        unknown.add(validity.copy().put("kid", kid));
      }
    });
    return new JsonObject().put("keys", keys).put("unknownKeys", unknown);
  }

  private static ECKey loadOrCreate(Path file) {
    return parse(KeyFile.readOrCreate(file, () -> generate().toJSONString()), file.toString());
  }

  private static ECKey parse(String value, String where) {
    try {
      JWK jwk = JWK.parse(value);
      if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
        throw new IllegalArgumentException(where + " must be an EC P-256 JWK");
      }
      return ec.getKeyID() != null ? ec : new ECKey.Builder(ec).keyIDFromThumbprint().build();
    } catch (ParseException | JOSEException e) {
      throw new IllegalArgumentException(where + " is not a valid JWK", e);
    }
  }
}
