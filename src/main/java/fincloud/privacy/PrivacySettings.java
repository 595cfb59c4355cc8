package fincloud.privacy;

import fincloud.shared.ConfigSection;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * The {@code privacy} section of the configuration.
 *
 * @param keys the key-encryption keys as JSON text ({@code privacy.keys}, see {@link KeyEncryptionKeys}), or null
 *     to use the key file
 * @param keyFile their file: {@code privacy.keyFile} or {@code FINCLOUD_KEK_FILE} (a mounted secret, which
 *     must exist), else {@code key-encryption-keys.json} in the node's data folder (generated on the first start)
 * @param keyFileGiven whether the file was configured, i.e. must not be generated
 * @param maxCachedKeys unwrapped data keys one node keeps in memory, least recently used dropped first
 * @param keyCacheTtlMs how long a node trusts a data key it holds in memory: an erasure on another
 *     node reaches this node's memory by an event-bus message, and at the latest after this time
 * @param rewrapBatch data keys rewrapped with the active KEK in one round (one transaction); also the rows
 *     of each table that the backfill of rows written before encryption seals in one round
 * @param rewrapIntervalMs how often a node looks for data keys wrapped by an older KEK, and for rows in clear
 */
public record PrivacySettings(String keys, Path keyFile, boolean keyFileGiven, int maxCachedKeys,
    long keyCacheTtlMs, int rewrapBatch, long rewrapIntervalMs) {

  private static final String DEFAULT_KEY_FILE = "key-encryption-keys.json";

  /** @param dataDir the node's data folder, home of the generated key file */
  public static PrivacySettings from(ConfigSection privacy, Path dataDir, String keyFileOfEnvironment) {
    String keyFile = privacy.optionalText("keyFile");
    if (keyFile == null) {
      keyFile = keyFileOfEnvironment;
    }
    return new PrivacySettings(
        keys(privacy),
        keyFile != null ? Path.of(keyFile) : dataDir.resolve(DEFAULT_KEY_FILE),
        keyFile != null,
        privacy.integer("maxCachedKeys", 1, 10_000_000),
        privacy.longInteger("keyCacheTtlMs", 1, 3_600_000),
        privacy.integer("rewrapBatch", 1, 100_000),
        privacy.longInteger("rewrapIntervalMs", 1, 86_400_000));
  }

  /** Whether the keys come from the configuration or a given file (which every node of a cluster must share). */
  public boolean configured() {
    return keys != null || keyFileGiven;
  }

  private static String keys(ConfigSection privacy) {
    Object value = privacy.optionalValue("keys");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject object)) {
      throw privacy.refused("keys", "{\"active\": id, \"keys\": {id: base64 AES-256 key}}", "(not shown)");
    }
    try {
      KeyEncryptionKeys.parse(object.encode(), privacy.key("keys"));
    } catch (IllegalArgumentException refused) {
      throw new fincloud.shared.InvalidSettingException(refused.getMessage());
    }
    return object.encode();
  }
}
