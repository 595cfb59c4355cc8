package fincloud.shared;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One section of the merged configuration, read key by key with its type and range checked. Every
 * key a setting needs is in {@code fincloud-defaults.json}, so a missing one is refused like a bad
 * one; each refusal names the full key ({@code ledger.maxGroup}) and the value it got. Values from
 * the environment arrive as text or as whatever JSON type they look like, so numbers and booleans
 * are also taken from their text.
 */
public final class ConfigSection {
  private final String path;
  private final JsonObject json;

  private ConfigSection(String path, JsonObject json) {
    this.path = path;
    this.json = json;
  }

  /** The whole configuration: its flat {@code FINCLOUD_*} keys and its sections. */
  public static ConfigSection root(JsonObject config) {
    return new ConfigSection("", config);
  }

  /** The full name of a key of this section, as messages and documents spell it. */
  public String key(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public Set<String> keys() {
    return json.fieldNames();
  }

  /** A section that must be there. */
  public ConfigSection section(String key) {
    Object value = required(key, "an object");
    if (!(value instanceof JsonObject object)) {
      throw refused(key, "an object", value);
    }
    return new ConfigSection(key(key), object);
  }

  /** A section that may be left out (or set to null): null then. */
  public ConfigSection optionalSection(String key) {
    return json.getValue(key) == null ? null : section(key);
  }

  public int integer(String key, int min, int max) {
    return (int) longInteger(key, min, max);
  }

  public long longInteger(String key, long min, long max) {
    String expected = "an integer from " + min + " to " + max;
    Object value = required(key, expected);
    Long number = wholeNumber(value);
    if (number == null || number < min || number > max) {
      throw refused(key, expected, value);
    }
    return number;
  }

  /** An integer that may be left out: null then. */
  public Integer optionalInteger(String key, int min, int max) {
    return json.getValue(key) == null ? null : integer(key, min, max);
  }

  public boolean bool(String key) {
    Object value = required(key, "true or false");
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof String s && (s.trim().equals("true") || s.trim().equals("false"))) {
      return Boolean.parseBoolean(s.trim());
    }
    throw refused(key, "true or false", value);
  }

  /** Text that must be there and not blank. */
  public String text(String key) {
    String text = optionalText(key);
    if (text == null) {
      throw json.getValue(key) == null ? missing(key, "a non-blank text")
          : refused(key, "a non-blank text", json.getValue(key));
    }
    return text;
  }

  /** Text that may be left out: null when absent or blank. */
  public String optionalText(String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String || value instanceof Number || value instanceof Boolean)) {
      throw refused(key, "a text", value);
    }
    String text = value.toString().trim();
    return text.isEmpty() ? null : text;
  }

  /** One of a few words. */
  public String oneOf(String key, List<String> words) {
    String expected = "one of " + String.join(", ", words);
    String word = optionalText(key);
    if (word == null) {
      throw missing(key, expected);
    }
    if (!words.contains(word)) {
      throw refused(key, expected, json.getValue(key));
    }
    return word;
  }

  public JsonArray array(String key) {
    Object value = required(key, "an array");
    if (!(value instanceof JsonArray array)) {
      throw refused(key, "an array", value);
    }
    return array;
  }

  /** An array of objects, each a section named {@code key[i]}. */
  public List<ConfigSection> sections(String key) {
    JsonArray array = array(key);
    List<ConfigSection> sections = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String element = key + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject object)) {
        throw refused(element, "an object", array.getValue(i));
      }
      sections.add(new ConfigSection(key(element), object));
    }
    return sections;
  }

  /** The raw value, for what only its reader understands (a JWK, given as text or as an object). */
  public Object optionalValue(String key) {
    return json.getValue(key);
  }

  /** The refusal of a value that passed each check alone but not with the others. */
  public InvalidSettingException refused(String key, String expected, Object value) {
    return new InvalidSettingException(key(key) + " must be " + expected + ", got " + Json.encode(value));
  }

  private Object required(String key, String expected) {
    Object value = json.getValue(key);
    if (value == null) {
      throw missing(key, expected);
    }
    return value;
  }

  private InvalidSettingException missing(String key, String expected) {
    return new InvalidSettingException(key(key) + " is missing: it must be " + expected);
  }

  private static Long wholeNumber(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Number n) {
      double d = n.doubleValue();
      return d == Math.rint(d) && Math.abs(d) < 9.0e18 ? (long) d : null;
    }
    if (value instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException notANumber) {
        return null;
      }
    }
    return null;
  }
}
