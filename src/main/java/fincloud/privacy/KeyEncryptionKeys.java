package fincloud.privacy;

import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key-encryption keys (KEKs): AES-256 keys that wrap the data keys of customer fields and
 * never enter the database. Several may be known at once, by id, so that a rotation rolls
 * through the nodes: the active one wraps every new data key, the others still unwrap the data
 * keys they wrapped until {@link DataKeys#rewrapRound} has moved those to the active one. Kept as
 * JSON text {@code {"active":"<id>","keys":{"<id>":"<32 bytes, base64>",...}}}. One set per
 * Vert.x instance, installed by the node before its roles start.
 */
public final class KeyEncryptionKeys implements Shareable {
  public static final int KEY_BYTES = 32;
  private static final String MAP = "fincloud.privacy.keks";
  private static final String ENTRY = "keks";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String activeId;
  private final Map<String, SecretKey> keys;

  public KeyEncryptionKeys(String activeId, Map<String, SecretKey> keys) {
    if (!keys.containsKey(activeId)) {
      throw new IllegalArgumentException("the active key-encryption key " + activeId + " is not among the keys");
    }
    this.activeId = activeId;
    this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
  }

  /** A new set with one fresh key, as the JSON text of a key file. */
  public static String generateText() {
    byte[] key = new byte[KEY_BYTES];
    RANDOM.nextBytes(key);
    String id = "kek-" + Long.toHexString(System.currentTimeMillis());
    return new JsonObject().put("active", id)
        .put("keys", new JsonObject().put(id, Base64.getEncoder().encodeToString(key))).encodePrettily();
  }

  /** Parses the JSON text of a set; a message names {@code where}, never a key. */
  public static KeyEncryptionKeys parse(String text, String where) {
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException(where + " is not a JSON object {\"active\",\"keys\"}");
    }
    Object active = json.getValue("active");
    Object keys = json.getValue("keys");
    if (!(active instanceof String activeId) || !(keys instanceof JsonObject byId) || byId.isEmpty()) {
      throw new IllegalArgumentException(where + " must be {\"active\": id, \"keys\": {id: base64 key, ...}}");
    }
    Map<String, SecretKey> parsed = new LinkedHashMap<>();
    byId.forEach(entry -> parsed.put(entry.getKey(), decode(entry.getValue(), where + ".keys." + entry.getKey())));
    try {
      return new KeyEncryptionKeys(activeId, parsed);
    } catch (IllegalArgumentException missing) {
      throw new IllegalArgumentException(where + ".active names no key of " + where + ".keys");
    }
  }

  private static SecretKey decode(Object value, String where) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(String.valueOf(value).strip());
    } catch (IllegalArgumentException notBase64) {
      throw new IllegalArgumentException(where + " must be base64");
    }
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException(where + " must hold " + KEY_BYTES + " bytes (AES-256), base64");
    }
    return new SecretKeySpec(key, "AES");
  }

  /** The JSON text of this set (for the key file of a demo cluster's member). */
  public String toText() {
    JsonObject byId = new JsonObject();
    keys.forEach((id, key) -> byId.put(id, Base64.getEncoder().encodeToString(key.getEncoded())));
    return new JsonObject().put("active", activeId).put("keys", byId).encodePrettily();
  }

  /** These keys and {@code other}'s, with {@code other}'s active one active (it wins a demo cluster's agreement). */
  public KeyEncryptionKeys adopting(KeyEncryptionKeys other) {
    Map<String, SecretKey> union = new LinkedHashMap<>(keys);
    union.putAll(other.keys);
    return new KeyEncryptionKeys(other.activeId, union);
  }

  public String activeId() {
    return activeId;
  }

  /** Wraps a data key with the active KEK; {@code keyId} is bound to it (a wrapped key moved to another row does not unwrap). */
  WrappedKey wrap(String keyId, byte[] dataKey) {
    try {
      return new WrappedKey(activeId, Sealing.seal(keys.get(activeId), dataKey, keyId));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("wrapping a data key failed", e);
    }
  }

  /** The data key of a row; fails when the KEK that wrapped it is not known here or the row was altered. */
  byte[] unwrap(String keyId, WrappedKey wrapped) {
    SecretKey kek = keys.get(wrapped.kekId());
    if (kek == null) {
      throw new IllegalStateException("data key " + keyId + " is wrapped by the key-encryption key "
          + wrapped.kekId() + ", which this node does not have (privacy.keyFile)");
    }
    try {
      return Sealing.open(kek, wrapped.text(), keyId);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("data key " + keyId + " does not unwrap: its row was altered", e);
    }
  }

  /** Makes {@code keks} the ones of every service of this Vert.x instance. */
  public static void install(Vertx vertx, KeyEncryptionKeys keks) {
    vertx.sharedData().<String, KeyEncryptionKeys>getLocalMap(MAP).put(ENTRY, keks);
  }

  /** The instance's KEKs; a node always installs them before its roles start. */
  public static KeyEncryptionKeys of(Vertx vertx) {
    KeyEncryptionKeys keks = vertx.sharedData().<String, KeyEncryptionKeys>getLocalMap(MAP).get(ENTRY);
    if (keks == null) {
      throw new IllegalStateException("no key-encryption keys installed on this Vert.x instance");
    }
    return keks;
  }

  /** A data key as stored: the id of the KEK that wrapped it and the sealed bytes (base64). */
  record WrappedKey(String kekId, String text) {
  }
}
