package fincloud.audit;

import fincloud.shared.ConfigSection;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code audit} section of the configuration.
 *
 * @param pollMs how often an idle sealer looks for new outbox rows
 * @param batchSize at most this many outbox rows are sealed in one round (one transaction)
 * @param checkpointEvery sign the chain head after at most this many new records ...
 * @param checkpointSeconds ... or once this many seconds have passed since the last checkpoint
 * @param lockTimeoutSeconds a sealing transaction left idle this long (its node hung or was cut
 *     off) is ended by PostgreSQL, which frees its tenants for another node
 * @param signingKey the checkpoint key ({@code signingKey}, a private JWK as JSON text), or null
 *     to use the key file
 * @param keyFile the checkpoint key's file: {@code keyFile} or {@code FINCLOUD_AUDIT_KEY_FILE} (a
 *     mounted secret, which must exist), else {@code audit-signing-key.jwk} in the node's data
 *     folder (generated on the first start)
 * @param keyFileGiven whether {@code keyFile} was configured, i.e. must not be generated
 * @param verifyKeys further public JWKs (JSON text) the verifier trusts
 * @param fullVerificationIntervalSeconds every chain gets a full verification in the background
 *     when none was started on any node for this long; 0: only on demand
 */
public record AuditSettings(long pollMs, int batchSize, int checkpointEvery, long checkpointSeconds,
    long lockTimeoutSeconds, String signingKey, Path keyFile, boolean keyFileGiven, List<String> verifyKeys,
    long fullVerificationIntervalSeconds) {

  private static final String DEFAULT_KEY_FILE = "audit-signing-key.jwk";

  public AuditSettings {
    verifyKeys = List.copyOf(verifyKeys);
  }

  /** Settings without scheduled full verification (tests of the sealer and the chain). */
  public AuditSettings(long pollMs, int batchSize, int checkpointEvery, long checkpointSeconds,
      long lockTimeoutSeconds, String signingKey, Path keyFile, boolean keyFileGiven, List<String> verifyKeys) {
    this(pollMs, batchSize, checkpointEvery, checkpointSeconds, lockTimeoutSeconds, signingKey, keyFile, keyFileGiven,
        verifyKeys, 0);
  }

  /** @param dataDir the node's data folder, home of the generated key file */
  public static AuditSettings from(ConfigSection audit, Path dataDir, String keyFileOfEnvironment) {
    String keyFile = audit.optionalText("keyFile");
    if (keyFile == null) {
      keyFile = keyFileOfEnvironment;
    }
    return new AuditSettings(
        audit.longInteger("pollMs", 1, 60_000),
        audit.integer("batchSize", 1, 100_000),
        audit.integer("checkpointEvery", 1, 10_000_000),
        audit.longInteger("checkpointSeconds", 1, 86_400),
        audit.longInteger("lockTimeoutSeconds", 1, 3_600),
        jwk(audit, "signingKey", audit.optionalValue("signingKey")),
        keyFile != null ? Path.of(keyFile) : dataDir.resolve(DEFAULT_KEY_FILE),
        keyFile != null,
        verifyKeys(audit),
        audit.longInteger("fullVerificationIntervalSeconds", 0, 31_536_000));
  }

  private static List<String> verifyKeys(ConfigSection audit) {
    List<String> keys = new ArrayList<>();
    for (Object key : audit.array("verifyKeys")) {
      String jwk = jwk(audit, "verifyKeys", key);
      if (jwk == null) {
        throw audit.refused("verifyKeys", "a list of public JWKs", audit.array("verifyKeys"));
      }
      keys.add(jwk);
    }
    return keys;
  }

  /** A JWK is given as JSON text or as an object; kept as text, parsed by {@link CheckpointKeys}. */
  private static String jwk(ConfigSection audit, String key, Object value) {
    if (value == null || value instanceof String text && text.isBlank()) {
      return null;
    }
    if (value instanceof JsonObject object) {
      return object.encode();
    }
    if (value instanceof String text) {
      return text;
    }
    throw audit.refused(key, "a JWK (JSON text or object)", value);
  }
}
