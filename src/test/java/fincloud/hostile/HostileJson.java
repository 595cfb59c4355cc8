package fincloud.hostile;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Hostile JSON, written as text so that it can be what no JSON library would write: duplicate
 * keys, numbers like {@code -0}, {@code 1e308} or 2000 digits, lone surrogate escapes, NUL
 * escapes, 5000 levels of nesting, trailing garbage. A valid body is turned into a tree whose
 * leaves are raw text, mutated a few times, and rendered.
 */
public final class HostileJson {
  /** Bodies grow by repetition; past this many characters they only cost the test's own memory. */
  static final int MAX_TEXT = 3 * 1024 * 1024;

  private HostileJson() {
  }

  /** A JSON value as raw text pieces. */
  sealed interface Node permits Obj, Arr, Lit {
  }

  /** An object; keys are raw JSON string literals, so they may repeat or hold odd escapes. */
  static final class Obj implements Node {
    final List<Field> fields = new ArrayList<>();
  }

  static final class Field {
    String key;
    Node value;

    Field(String key, Node value) {
      this.key = key;
      this.value = value;
    }
  }

  static final class Arr implements Node {
    final List<Node> items = new ArrayList<>();
  }

  record Lit(String text) implements Node {
  }

  static Node tree(Object value) {
    if (value instanceof JsonObject object) {
      Obj obj = new Obj();
      object.forEach(e -> obj.fields.add(new Field(Json.encode(e.getKey()), tree(e.getValue()))));
      return obj;
    }
    if (value instanceof Map<?, ?> map) {
      return tree(new JsonObject(new java.util.LinkedHashMap<>((Map<String, Object>) map)));
    }
    if (value instanceof JsonArray array) {
      Arr arr = new Arr();
      array.forEach(item -> arr.items.add(tree(item)));
      return arr;
    }
    if (value instanceof List<?> list) {
      return tree(new JsonArray(new ArrayList<>(list)));
    }
    return new Lit(Json.encode(value));
  }

  static String render(Node node) {
    StringBuilder out = new StringBuilder();
    render(node, out);
    return out.toString();
  }

  private static void render(Node node, StringBuilder out) {
    if (node instanceof Obj obj) {
      out.append('{');
      for (int i = 0; i < obj.fields.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        out.append(obj.fields.get(i).key).append(':');
        render(obj.fields.get(i).value, out);
      }
      out.append('}');
    } else if (node instanceof Arr arr) {
      out.append('[');
      for (int i = 0; i < arr.items.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        render(arr.items.get(i), out);
      }
      out.append(']');
    } else {
      out.append(((Lit) node).text());
    }
  }

  // ---------------------------------------------------------------- mutation

  /**
   * A mutated body: one to three tree mutations, and now and then a mutation of the whole text
   * (another document, trailing garbage, a cut, a byte-order mark, invalid UTF-8, huge size).
   */
  public static byte[] mutate(JsonObject valid, Random random, List<String> ids) {
    Node root = tree(valid);
    int mutations = 1 + random.nextInt(3);
    for (int i = 0; i < mutations; i++) {
      mutateTree(root, random, ids);
    }
    String text = render(root);
    if (text.length() > MAX_TEXT) {
      text = text.substring(0, MAX_TEXT);
    }
    int whole = random.nextInt(100);
    if (whole < 12) {
      return wholeBody(text, random);
    }
    if (whole < 20) {
      return (text + pick(random, "x", "}", "]", ",", "\\u0000", "\n\n", "{}", " //c", "\u0000", "null", "{\"a\":1}"))
          .getBytes(StandardCharsets.UTF_8);
    }
    if (whole < 23 && text.length() > 1) {
      return text.substring(0, random.nextInt(text.length())).getBytes(StandardCharsets.UTF_8);
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void mutateTree(Node root, Random random, List<String> ids) {
    List<Obj> objects = new ArrayList<>();
    List<Arr> arrays = new ArrayList<>();
    collect(root, objects, arrays, 0);
    if (!arrays.isEmpty() && random.nextInt(6) == 0) {
      Arr arr = arrays.get(random.nextInt(arrays.size()));
      switch (random.nextInt(4)) {
        case 0 -> arr.items.clear();
        case 1 -> {
          if (!arr.items.isEmpty()) {
            Node item = arr.items.get(random.nextInt(arr.items.size()));
            int copies = Math.min(pick(random, 1, 2, 999, 1000, 1001), MAX_TEXT / (render(item).length() + 1));
            for (int i = 0; i < copies; i++) {
              arr.items.add(item);
            }
          }
        }
        case 2 -> arr.items.add(new Lit(value(random, ids)));
        default -> {
          if (!arr.items.isEmpty()) {
            arr.items.remove(random.nextInt(arr.items.size()));
          }
        }
      }
      return;
    }
    Obj obj = objects.get(random.nextInt(objects.size()));
    Field field = obj.fields.isEmpty() ? null : obj.fields.get(random.nextInt(obj.fields.size()));
    switch (field == null ? 4 : random.nextInt(8)) {
      case 0 -> obj.fields.remove(field);
      case 1 -> obj.fields.add(random.nextInt(obj.fields.size() + 1),
          new Field(field.key, random.nextBoolean() ? field.value : new Lit(value(random, ids))));
      case 2 -> field.key = key(random);
      case 3, 4 -> {
        if (field == null || random.nextBoolean()) {
          obj.fields.add(new Field(random.nextBoolean() ? key(random) : serverOwnedKey(random), new Lit(value(random, ids))));
        } else {
          field.value = new Lit(value(random, ids));
        }
      }
      case 5 -> field.value = new Lit(value(random, ids));
      case 6 -> field.value = new Lit(random.nextBoolean() ? "[" + render(field.value) + "]" : "{\"v\":" + render(field.value) + "}");
      default -> field.value = new Lit(deep(random));
    }
  }

  private static void collect(Node node, List<Obj> objects, List<Arr> arrays, int depth) {
    if (depth > 6) {
      return;
    }
    if (node instanceof Obj obj) {
      objects.add(obj);
      obj.fields.forEach(f -> collect(f.value, objects, arrays, depth + 1));
    } else if (node instanceof Arr arr) {
      arrays.add(arr);
      arr.items.forEach(item -> collect(item, objects, arrays, depth + 1));
    }
  }

  /** A body that is not the mutated object at all. */
  static byte[] wholeBody(String valid, Random random) {
    return switch (random.nextInt(22)) {
      case 0 -> new byte[0];
      case 1 -> utf8(pick(random, " ", "null", "true", "0", "-0", "1e308", "\"x\"", "[]", "[{}]", "\"{}\""));
      case 2 -> utf8(pick(random, "{", "}", "{}}", "{\"a\"", "{\"a\":}", "{\"a\":1,}", "{,}", "{'a':1}", "{a:1}"));
      case 3 -> utf8(valid + valid);
      case 4 -> utf8("\uFEFF" + valid);
      case 5 -> utf8("/* comment */" + valid);
      case 6 -> {
        byte[] bytes = new byte[1 + random.nextInt(200)];
        random.nextBytes(bytes);
        yield bytes;
      }
      case 7 -> concat(utf8(valid.substring(0, valid.length() / 2)), new byte[] {(byte) 0xC3, (byte) 0x28},
          utf8(valid.substring(valid.length() / 2)));
      case 8 -> concat(utf8("{\"currency\":\""), new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, utf8("\"}"));
      case 9 -> utf8("[".repeat(5000) + "]".repeat(5000));
      case 10 -> utf8("{\"a\":".repeat(5000) + "1" + "}".repeat(5000));
      case 11 -> utf8("{\"metadata\":" + "{\"a\":".repeat(990) + "1" + "}".repeat(990) + "}");
      case 12 -> utf8("{\"ownerRef\":\"" + "x".repeat(pick(random, 65_000, 66_000, 1_100_000)) + "\"}");
      case 13 -> utf8("{\"transfers\":[" + (valid + ",").repeat(Math.min(pick(random, 3_000, 20_000),
          MAX_TEXT / (valid.length() + 1))) + valid + "]}");
      case 14 -> utf8("grant_type=client_credentials&amount=1");
      case 15 -> utf8("{\"a\":1}\u0000");
      case 16 -> utf8("{\"" + "k".repeat(60_000) + "\":1}");
      case 17 -> utf8("{\"amount\":1" + "0".repeat(pick(random, 999, 1000, 1001, 5000)) + "}");
      case 18 -> utf8("{\"amount\":0." + "0".repeat(pick(random, 999, 5000)) + "1}");
      case 19 -> utf8("\t\r\n " + valid + "\t\r\n ");
      case 20 -> utf8("{\"a\":\"\\u00\"}");
      default -> utf8(valid.replace(":", ": ").replace(",", " , "));
    };
  }

  // ---------------------------------------------------------------- values

  /** A hostile JSON value as text. */
  static String value(Random random, List<String> ids) {
    return switch (random.nextInt(10)) {
      case 0, 1, 2 -> number(random);
      case 3, 4 -> string(random);
      case 5 -> quote(pick(random, ids));
      case 6 -> pick(random, "true", "false", "null");
      case 7 -> pick(random, "[]", "{}", "[1,2]", "{\"a\":null}", "[null]", "[\"USD\"]", "[" + "null,".repeat(1000) + "null]");
      case 8 -> quote(pick(random, "USD", "usd", "US", "USDD", "XXX", "XTS", "EUR", "123", "1", "1e3", "-0",
          "9007199254740991", "true", "null", "IMMEDIATE", "PENDING", "immediate", "REVIEW", "DECLINE", "acc_",
          "trf_", "", " ", "'; DROP TABLE accounts; --", "${jndi:ldap://x/a}", "%s%s%n", "<script>", "../../etc",
          "MAX_AMOUNT", "BLOCKLIST", "\u202Eevil", "ＵＳＤ"));
      default -> deep(random);
    };
  }

  static String number(Random random) {
    return switch (random.nextInt(5)) {
      case 0 -> Long.toString(random.nextLong());
      case 1 -> Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
      case 2 -> Integer.toString(random.nextInt(2000) - 1000);
      case 3 -> "1" + "0".repeat(pick(random, 18, 19, 20, 400, 999, 1000, 1001, 2000));
      default -> pick(random, "0", "-0", "-0.0", "0.0", "1", "1.0", "1.5", "-1", "1e3", "1E3", "1e+3", "1e-3", "1e308",
          "-1e308", "1e309", "4.9e-324", "2.2250738585072014E-308", "9007199254740991", "9007199254740992",
          "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
          "18446744073709551616", "604800", "604801", "01", "+1", ".5", "5.", "0x10", "NaN", "Infinity",
          "-Infinity", "1_000", "2147483647", "2147483648", "-2147483649", "1e", "--1");
    };
  }

  /** A JSON string of random characters: controls, NUL, lone surrogates, astral planes, long ones. */
  static String string(Random random) {
    int length = pick(random, 0, 1, 3, 8, 64, 140, 141, 4096, 5_000, 70_000);
    StringBuilder out = new StringBuilder(length + 2).append('"');
    for (int i = 0; i < length; i++) {
      switch (random.nextInt(length > 1000 ? 1 : 8)) {
        case 0 -> out.append((char) ('a' + random.nextInt(26)));
        case 1 -> out.append(String.format("\\u%04x", random.nextInt(32)));
        case 2 -> out.append("\\u0000");
        case 3 -> out.append(String.format("\\u%04X", 0xD800 + random.nextInt(0x800)));
        case 4 -> out.appendCodePoint(0x1F600 + random.nextInt(80));
        case 5 -> out.appendCodePoint(0x80 + random.nextInt(0xD000));
        case 6 -> out.append(pick(random, "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "'", "%", "$"));
        default -> out.appendCodePoint(0xE000 + random.nextInt(0x2000));
      }
    }
    return out.append('"').toString();
  }

  static String key(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> string(random);
      case 1 -> quote(pick(random, "Amount", "AMOUNT", "amount ", " amount", "amоunt", "currency\u0000", "__proto__",
          "constructor", "$where", "", "debitAccountId.", "transfers[0]", "a".repeat(10_000)));
      case 2 -> pick(random, "\"\\u0061mount\"", "\"\\u0063urrency\"", "\"\\u0000\"", "\"\\uD800\"", "\"amou\\u006et\"");
      default -> serverOwnedKey(random);
    };
  }

  /** Fields a client must never set. */
  static String serverOwnedKey(Random random) {
    return quote(pick(random, "tenant", "balance", "status", "id", "createdAt", "posted", "pending", "postedAmount",
        "risk", "version", "seq", "hash", "requestId"));
  }

  /** Nesting of 10 to 5000 levels, arrays or objects. */
  static String deep(Random random) {
    int depth = pick(random, 10, 100, 500, 998, 999, 1000, 1001, 5000);
    return random.nextBoolean()
        ? "[".repeat(depth) + "]".repeat(depth)
        : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
  }

  static String quote(String text) {
    return Json.encode(text);
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] all = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, all, at, part.length);
      at += part.length;
    }
    return all;
  }

  @SafeVarargs
  static <T> T pick(Random random, T... choices) {
    return choices[random.nextInt(choices.length)];
  }

  static <T> T pick(Random random, List<T> choices) {
    return choices.get(random.nextInt(choices.size()));
  }
}
