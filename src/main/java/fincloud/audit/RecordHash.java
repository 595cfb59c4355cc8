package fincloud.audit;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A record's hash, {@code SHA-256(prevHash || canonical JSON of its eleven fields)}, written
 * straight into one buffer: the same text as {@link fincloud.shared.CanonicalJson} gives (keys in
 * UTF-16 order, strings escaped as Jackson escapes them), without a JSON tree per record or an
 * encoder per value, which made verification cost about 100 microseconds of CPU a record.
 * {@code RecordHashTest} holds it to {@code CanonicalJson} character for character; any value that
 * is not a string, a whole number, a boolean, null, an object or an array is written by the same
 * encoder as there.
 */
final class RecordHash {
  private static final char[] HEX_UPPER = "0123456789ABCDEF".toCharArray();
  private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  });

  private RecordHash() {
  }

  /** The hash the record should carry given its own {@code prevHash}. */
  static String of(ChainRecord r) {
    StringBuilder out = new StringBuilder(512).append(r.prevHash());
    // the eleven keys in canonical (sorted) order
    out.append("{\"action\":");
    string(r.action(), out);
    out.append(",\"actor\":");
    string(r.actor(), out);
    out.append(",\"at\":");
    string(r.at(), out);
    out.append(",\"data\":");
    value(r.data(), out);
    out.append(",\"entityId\":");
    string(r.entityId(), out);
    out.append(",\"entityType\":");
    string(r.entityType(), out);
    out.append(",\"origin\":");
    string(r.origin(), out);
    out.append(",\"requestId\":");
    string(r.requestId(), out);
    out.append(",\"seq\":").append(r.seq());
    out.append(",\"success\":").append(r.success());
    out.append(",\"tenant\":");
    string(r.tenant(), out);
    out.append('}');
    MessageDigest sha = SHA.get();
    return HexFormat.of().formatHex(sha.digest(out.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /** The canonical text of a JSON value, as {@code CanonicalJson.of} writes it. */
  static String canonical(Object value) {
    StringBuilder out = new StringBuilder();
    value(value, out);
    return out.toString();
  }

  private static void value(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String text) {
      string(text, out);
    } else if (value instanceof Long || value instanceof Integer) {
      out.append(value);
    } else if (value instanceof Boolean bool) {
      out.append(bool.booleanValue());
    } else if (value instanceof JsonObject object) {
      object(object.getMap(), out);
    } else if (value instanceof Map<?, ?> map) {
      object(map, out);
    } else if (value instanceof JsonArray array) {
      array(array.getList(), out);
    } else if (value instanceof Iterable<?> list) {
      array(list, out);
    } else {
      out.append(Json.encode(value));
    }
  }

  private static void object(Map<?, ?> map, StringBuilder out) {
    TreeMap<String, Object> sorted = new TreeMap<>();
    map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, Object> e : sorted.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      string(e.getKey(), out);
      out.append(':');
      value(e.getValue(), out);
    }
    out.append('}');
  }

  private static void array(Iterable<?> list, StringBuilder out) {
    out.append('[');
    boolean first = true;
    for (Object item : list) {
      if (!first) {
        out.append(',');
      }
      first = false;
      value(item, out);
    }
    out.append(']');
  }

  /** A JSON string as Jackson writes it: quote, backslash and control characters escaped, nothing else. */
  private static void string(String text, StringBuilder out) {
    if (text == null) {
      out.append("null");
      return;
    }
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\f' -> out.append("\\f");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20) {
            out.append("\\u00").append(HEX_UPPER[c >> 4]).append(HEX_UPPER[c & 0xF]);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
