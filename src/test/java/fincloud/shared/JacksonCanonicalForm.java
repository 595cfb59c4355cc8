package fincloud.shared;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * The canonical form as its definition says it, built the slow and obvious way: keys sorted in a
 * tree, every key and scalar written by Jackson. The reference {@link CanonicalWriter} (and so the
 * audit chain's hash) is held to.
 */
public final class JacksonCanonicalForm {
  private JacksonCanonicalForm() {
  }

  public static String of(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value instanceof JsonObject object) {
      writeObject(object.getMap(), out);
    } else if (value instanceof Map<?, ?> map) {
      writeObject(map, out);
    } else if (value instanceof JsonArray array) {
      writeArray(array.getList(), out);
    } else if (value instanceof Iterable<?> list) {
      writeArray(list, out);
    } else {
      out.append(Json.encode(value));
    }
  }

  private static void writeObject(Map<?, ?> map, StringBuilder out) {
    TreeMap<String, Object> sorted = new TreeMap<>();
    map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, Object> e : sorted.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      out.append(Json.encode(e.getKey())).append(':');
      write(e.getValue(), out);
    }
    out.append('}');
  }

  private static void writeArray(Iterable<?> list, StringBuilder out) {
    out.append('[');
    boolean first = true;
    for (Object item : list) {
      if (!first) {
        out.append(',');
      }
      first = false;
      write(item, out);
    }
    out.append(']');
  }
}
