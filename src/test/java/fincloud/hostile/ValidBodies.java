package fincloud.hostile;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.yaml.snakeyaml.Yaml;

/**
 * A valid request body for any route, made from the route's request schema in the published
 * {@code openapi.yaml} (so that routes added later get bodies too), with real account ids and the
 * accounts' currency where the field names ask for them. Mutations start from these.
 */
public final class ValidBodies {
  private final JsonObject schemas;
  private final List<String> debitable;
  private final String currency;

  /**
   * @param debitable accounts of the caller's tenant in {@code currency}, with money on them
   */
  public ValidBodies(List<String> debitable, String currency) {
    this.schemas = loadSchemas();
    this.debitable = debitable;
    this.currency = currency;
  }

  static JsonObject loadSchemas() {
    try (InputStream in = ValidBodies.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
      Map<String, Object> document = new Yaml().load(in);
      return new JsonObject(document).getJsonObject("components").getJsonObject("schemas");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A body the schema accepts; {} when the route takes none. */
  public JsonObject of(String schemaName, Random random) {
    if (schemaName == null || !schemas.containsKey(schemaName)) {
      return new JsonObject();
    }
    Object value = value(schemas.getJsonObject(schemaName), "", random, 0);
    return value instanceof JsonObject object ? object : new JsonObject();
  }

  private Object value(JsonObject schema, String field, Random random, int depth) {
    schema = resolve(schema);
    Object hinted = hint(field, random);
    if (hinted != null) {
      return hinted;
    }
    if (schema.containsKey("enum")) {
      JsonArray choices = schema.getJsonArray("enum");
      return choices.getValue(random.nextInt(choices.size()));
    }
    String type = schema.getValue("type") instanceof String t ? t : "object";
    switch (type) {
      case "object": {
        JsonObject object = new JsonObject();
        JsonObject properties = schema.getJsonObject("properties", new JsonObject());
        JsonArray required = schema.getJsonArray("required", new JsonArray());
        for (String name : properties.fieldNames()) {
          if (required.contains(name) || (depth < 3 && random.nextInt(3) == 0)) {
            object.put(name, value(properties.getJsonObject(name), name, random, depth + 1));
          }
        }
        return object;
      }
      case "array": {
        JsonArray array = new JsonArray();
        int items = Math.max(schema.getInteger("minItems", 0), 1) + random.nextInt(2);
        for (int i = 0; i < items && depth < 4; i++) {
          array.add(value(schema.getJsonObject("items", new JsonObject()), field, random, depth + 1));
        }
        return array;
      }
      case "integer": {
        long min = schema.getLong("minimum", 1L);
        return Math.max(min, 1L) + random.nextInt(20);
      }
      case "number":
        return 1;
      case "boolean":
        return false;
      default: {
        int min = schema.getInteger("minLength", 1);
        return "f" + Integer.toString(random.nextInt(1_000_000), 36) + "x".repeat(Math.max(0, min - 6));
      }
    }
  }

  /** Values that only make sense for this API: accounts that exist, their currency, small amounts. */
  private Object hint(String field, Random random) {
    switch (field) {
      case "debitAccountId":
        return debitable.get(random.nextInt(debitable.size()));
      case "creditAccountId":
        return debitable.get(random.nextInt(debitable.size()));
      case "accountIds":
      case "accountId":
        return field.endsWith("s") ? new JsonArray().add(debitable.get(0)) : debitable.get(0);
      case "currency":
        return currency;
      case "amount":
        return 1L + random.nextInt(100);
      case "mode":
        return random.nextInt(4) == 0 ? "PENDING" : "IMMEDIATE";
      case "allowNegative":
        return false;
      default:
        return null;
    }
  }

  private JsonObject resolve(JsonObject schema) {
    String ref = schema.getString("$ref");
    if (ref != null && ref.startsWith("#/components/schemas/")) {
      return resolve(schemas.getJsonObject(ref.substring("#/components/schemas/".length()), new JsonObject()));
    }
    return schema;
  }
}
