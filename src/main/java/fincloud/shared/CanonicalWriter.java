package fincloud.shared;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@link CanonicalJson}'s text as UTF-8 into a buffer it keeps for the next text, without a
 * JSON tree or an encoder per value: the audit chain hashes a million records' canonical forms in
 * one full verification. Object keys sorted by UTF-16 code units, strings escaped as Jackson
 * escapes them (quote, backslash and control characters, nothing else), whole numbers, booleans
 * and null as JSON writes them; any other value by Vert.x's JSON encoder. A surrogate without its
 * pair has no UTF-8 and is written as {@code ?}, as {@code String.getBytes(UTF_8)} writes it.
 * Not thread-safe: one per thread.
 */
public final class CanonicalWriter {
  private static final byte[] HEX_UPPER = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  private byte[] buffer = new byte[1024];
  private int length;

  /** Forgets what was written; the buffer is kept. */
  public CanonicalWriter reset() {
    length = 0;
    return this;
  }

  /** The bytes written since the last reset are {@code buffer()[0 .. length())}. */
  public byte[] buffer() {
    return buffer;
  }

  public int length() {
    return length;
  }

  /** Any JSON value in its canonical form. */
  public CanonicalWriter value(Object value) {
    if (value == null) {
      ascii("null");
    } else if (value instanceof String text) {
      string(text);
    } else if (value instanceof Long || value instanceof Integer) {
      ascii(value.toString());
    } else if (value instanceof Boolean bool) {
      ascii(bool ? "true" : "false");
    } else if (value instanceof JsonObject object) {
      object(object.getMap());
    } else if (value instanceof Map<?, ?> map) {
      object(map);
    } else if (value instanceof JsonArray array) {
      array(array.getList());
    } else if (value instanceof Iterable<?> list) {
      array(list);
    } else {
      raw(Json.encode(value));
    }
    return this;
  }

  /** A JSON string as Jackson writes it: quote, backslash and control characters escaped, nothing else. */
  public CanonicalWriter string(String text) {
    if (text == null) {
      return ascii("null");
    }
    // at most six bytes a character (an escaped control), and the quotes
    room(text.length() * 6 + 2);
    byte[] out = buffer;
    int at = length;
    out[at++] = '"';
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        out[at++] = (byte) c;
        continue;
      }
      switch (c) {
        case '"' -> at = escape(out, at, '"');
        case '\\' -> at = escape(out, at, '\\');
        case '\b' -> at = escape(out, at, 'b');
        case '\t' -> at = escape(out, at, 't');
        case '\n' -> at = escape(out, at, 'n');
        case '\f' -> at = escape(out, at, 'f');
        case '\r' -> at = escape(out, at, 'r');
        default -> {
          if (c < 0x20) {
            out[at++] = '\\';
            out[at++] = 'u';
            out[at++] = '0';
            out[at++] = '0';
            out[at++] = HEX_UPPER[c >> 4];
            out[at++] = HEX_UPPER[c & 0xF];
          } else {
            at = utf8(text, i, out, at);
            if (pairAt(text, i)) {
              i++;
            }
          }
        }
      }
    }
    out[at++] = '"';
    length = at;
    return this;
  }

  /** Text written as it is (no quotes, no escapes), in UTF-8. */
  public CanonicalWriter raw(String text) {
    if (text == null) {
      return ascii("null");
    }
    room(text.length() * 3);
    byte[] out = buffer;
    int at = length;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        out[at++] = (byte) c;
      } else {
        at = utf8(text, i, out, at);
        if (pairAt(text, i)) {
          i++;
        }
      }
    }
    length = at;
    return this;
  }

  /** Text known to be ASCII: a key with its punctuation, a number. */
  public CanonicalWriter ascii(String text) {
    room(text.length());
    for (int i = 0; i < text.length(); i++) {
      buffer[length++] = (byte) text.charAt(i);
    }
    return this;
  }

  private void object(Map<?, ?> map) {
    Map.Entry<?, ?>[] entries = new Map.Entry<?, ?>[map.size()];
    int count = 0;
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      if (!(entry.getKey() instanceof String) || count == entries.length) {
        // keys that only become strings here may coincide: the last one wins, as a sorted map keeps it
        TreeMap<String, Object> sorted = new TreeMap<>();
        map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
        entries = sorted.entrySet().toArray(new Map.Entry<?, ?>[0]);
        count = entries.length;
        break;
      }
      entries[count++] = entry;
    }
    if (count < entries.length) {
      entries = Arrays.copyOf(entries, count);
    }
    // String's natural order is by UTF-16 code units, the canonical order
    Arrays.sort(entries, (a, b) -> ((String) a.getKey()).compareTo((String) b.getKey()));
    ascii("{");
    for (int i = 0; i < entries.length; i++) {
      if (i > 0) {
        ascii(",");
      }
      string((String) entries[i].getKey());
      ascii(":");
      value(entries[i].getValue());
    }
    ascii("}");
  }

  private void array(Iterable<?> list) {
    ascii("[");
    boolean first = true;
    for (Object item : list) {
      if (!first) {
        ascii(",");
      }
      first = false;
      value(item);
    }
    ascii("]");
  }

  private static int escape(byte[] out, int at, char c) {
    out[at++] = '\\';
    out[at++] = (byte) c;
    return at;
  }

  private static boolean pairAt(String text, int i) {
    return Character.isHighSurrogate(text.charAt(i)) && i + 1 < text.length()
        && Character.isLowSurrogate(text.charAt(i + 1));
  }

  /**
   * The non-ASCII character at {@code i} (with its low surrogate when it starts a pair) in UTF-8,
   * a surrogate without its pair as {@code ?}.
   */
  private static int utf8(String text, int i, byte[] out, int at) {
    char c = text.charAt(i);
    if (c < 0x800) {
      out[at++] = (byte) (0xC0 | c >> 6);
      out[at++] = (byte) (0x80 | c & 0x3F);
    } else if (!Character.isSurrogate(c)) {
      out[at++] = (byte) (0xE0 | c >> 12);
      out[at++] = (byte) (0x80 | c >> 6 & 0x3F);
      out[at++] = (byte) (0x80 | c & 0x3F);
    } else if (pairAt(text, i)) {
      int cp = Character.toCodePoint(c, text.charAt(i + 1));
      out[at++] = (byte) (0xF0 | cp >> 18);
      out[at++] = (byte) (0x80 | cp >> 12 & 0x3F);
      out[at++] = (byte) (0x80 | cp >> 6 & 0x3F);
      out[at++] = (byte) (0x80 | cp & 0x3F);
    } else {
      out[at++] = '?';
    }
    return at;
  }

  private void room(int more) {
    if (length + more > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
    }
  }
}
