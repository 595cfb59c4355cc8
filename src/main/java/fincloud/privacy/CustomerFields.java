package fincloud.privacy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import javax.crypto.SecretKey;

/**
 * The customer fields as they are stored: {@code ownerRef} and {@code reference} become the text
 * {@code fc1:<data key id>:<base64url(nonce || ciphertext || tag)>}, {@code metadata} the object
 * {@code {"encrypted": "fc1:..."}} (so that its column and every copy keep their JSON type). The
 * associated data binds a value to its key and its field. Services seal a request's fields where
 * it becomes a command and reveal an answer where it becomes a reply, so that the ledger, the
 * idempotency records and the audit records hold ciphertext only. A value whose data key is gone
 * (the account was erased) reveals as {@code null} ({@code {}} for metadata); a value that is not
 * in this form (written before encryption existed) is shown as it is.
 */
public final class CustomerFields {
  public static final String VERSION = "fc1";
  static final String METADATA_FIELD = "encrypted";
  private static final Set<String> TEXT_FIELDS = Set.of("ownerRef", "reference");
  private static final String METADATA = "metadata";

  private CustomerFields() {
  }

  /** {@code plain} sealed for {@code field} with the data key; null stays null. */
  public static String sealText(DataKey key, String field, String plain) {
    return plain == null ? null : seal(key, field, plain);
  }

  /** The metadata sealed into {@code {"encrypted": ...}}; null counts as {@code {}}. */
  public static JsonObject sealMetadata(DataKey key, JsonObject metadata) {
    String plain = (metadata == null ? new JsonObject() : metadata).encode();
    return new JsonObject().put(METADATA_FIELD, seal(key, METADATA, plain));
  }

  private static String seal(DataKey key, String field, String plain) {
    try {
      return VERSION + ":" + key.keyId() + ":"
          + Sealing.seal(key.key(), plain.getBytes(StandardCharsets.UTF_8), associated(key.keyId(), field));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("sealing a customer field failed", e);
    }
  }

  /** The ids of the data keys that sealed the customer fields anywhere in {@code json}. */
  public static Set<String> keyIds(Object json) {
    Set<String> ids = new HashSet<>();
    collect(json, ids);
    return ids;
  }

  private static void collect(Object json, Set<String> ids) {
    if (json instanceof JsonObject object) {
      object.forEach(entry -> {
        String sealed = sealedValue(entry.getKey(), entry.getValue());
        if (sealed != null) {
          ids.add(keyId(sealed));
        } else {
          collect(entry.getValue(), ids);
        }
      });
    } else if (json instanceof JsonArray array) {
      array.forEach(item -> collect(item, ids));
    }
  }

  /** A copy of {@code json} with every customer field in clear, by the data keys given (by id). */
  public static JsonObject reveal(JsonObject json, Map<String, SecretKey> keys) {
    return (JsonObject) revealed(json, keys);
  }

  private static Object revealed(Object json, Map<String, SecretKey> keys) {
    if (json instanceof JsonObject object) {
      JsonObject copy = new JsonObject();
      object.forEach(entry -> {
        String sealed = sealedValue(entry.getKey(), entry.getValue());
        copy.put(entry.getKey(), sealed != null ? open(entry.getKey(), sealed, keys) : revealed(entry.getValue(), keys));
      });
      return copy;
    }
    if (json instanceof JsonArray array) {
      JsonArray copy = new JsonArray();
      array.forEach(item -> copy.add(revealed(item, keys)));
      return copy;
    }
    return json;
  }

  /** The sealed text of a customer field, or null when {@code value} is not one. */
  private static String sealedValue(String name, Object value) {
    if (TEXT_FIELDS.contains(name) && value instanceof String text && isSealed(text)) {
      return text;
    }
    if (METADATA.equals(name) && value instanceof JsonObject object && object.size() == 1
        && object.getValue(METADATA_FIELD) instanceof String text && isSealed(text)) {
      return text;
    }
    return null;
  }

  /** Whether a stored {@code ownerRef} or {@code reference} is sealed (null counts: nothing to seal). */
  public static boolean isSealedText(String text) {
    return text == null || isSealed(text);
  }

  /** Whether a stored {@code metadata} is sealed ({@code {"encrypted": "fc1:..."}}). */
  public static boolean isSealedMetadata(JsonObject metadata) {
    return metadata != null && sealedValue(METADATA, metadata) != null;
  }

  /**
   * A copy of {@code json} (an answer as an older version kept it) with every customer field still
   * in clear sealed with the key of the account it belongs to: the debit account of an object that
   * has a {@code debitAccountId} (a transfer), else the object's {@code id} (an account). Fields
   * already sealed are left as they are, so sealing twice changes nothing. {@code keyOf} answers
   * the key for an account id.
   */
  public static JsonObject sealPlain(JsonObject json, Function<String, DataKey> keyOf) {
    return (JsonObject) sealedPlain(json, keyOf);
  }

  private static Object sealedPlain(Object json, Function<String, DataKey> keyOf) {
    if (json instanceof JsonArray array) {
      JsonArray copy = new JsonArray();
      array.forEach(item -> copy.add(sealedPlain(item, keyOf)));
      return copy;
    }
    if (!(json instanceof JsonObject object)) {
      return json;
    }
    JsonObject copy = new JsonObject();
    object.forEach(entry -> {
      String name = entry.getKey();
      Object value = entry.getValue();
      if (TEXT_FIELDS.contains(name) && value instanceof String text && !isSealed(text)) {
        copy.put(name, sealText(keyOf.apply(owner(object)), name, text));
      } else if (METADATA.equals(name) && value instanceof JsonObject metadata && !isSealedMetadata(metadata)) {
        copy.put(name, sealMetadata(keyOf.apply(owner(object)), metadata));
      } else {
        copy.put(name, sealedPlain(value, keyOf));
      }
    });
    return copy;
  }

  /** The ids of the accounts whose customer fields are still in clear somewhere in {@code json}. */
  public static Set<String> plainOwners(Object json) {
    Set<String> owners = new HashSet<>();
    collectPlainOwners(json, owners);
    return owners;
  }

  private static void collectPlainOwners(Object json, Set<String> owners) {
    if (json instanceof JsonArray array) {
      array.forEach(item -> collectPlainOwners(item, owners));
    } else if (json instanceof JsonObject object) {
      object.forEach(entry -> {
        String name = entry.getKey();
        Object value = entry.getValue();
        if ((TEXT_FIELDS.contains(name) && value instanceof String text && !isSealed(text))
            || (METADATA.equals(name) && value instanceof JsonObject metadata && !isSealedMetadata(metadata))) {
          owners.add(owner(object));
        } else {
          collectPlainOwners(value, owners);
        }
      });
    }
  }

  /** The account whose key seals an object's customer fields: a transfer's debit account, an account itself. */
  private static String owner(JsonObject object) {
    return object.getValue("debitAccountId") instanceof String debit ? debit : String.valueOf(object.getValue("id"));
  }

  private static boolean isSealed(String text) {
    return text.startsWith(VERSION + ":") && text.indexOf(':', VERSION.length() + 1) > 0;
  }

  private static String keyId(String sealed) {
    return sealed.substring(VERSION.length() + 1, sealed.indexOf(':', VERSION.length() + 1));
  }

  private static Object open(String field, String sealed, Map<String, SecretKey> keys) {
    String keyId = keyId(sealed);
    SecretKey key = keys.get(keyId);
    if (key == null) {
      return METADATA.equals(field) ? new JsonObject() : null; // erased: the key is gone for good
    }
    try {
      byte[] plain = Sealing.open(key, sealed.substring(sealed.indexOf(':', VERSION.length() + 1) + 1),
          associated(keyId, field));
      String text = new String(plain, StandardCharsets.UTF_8);
      return METADATA.equals(field) ? new JsonObject(text) : text;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("a stored " + field + " sealed with data key " + keyId + " does not open: altered", e);
    }
  }

  private static String associated(String keyId, String field) {
    return VERSION + ":" + keyId + ":" + field;
  }
}
