package fincloud.gateway;

import fincloud.shared.ErrorCode;
import fincloud.shared.Money;
import fincloud.shared.ServiceException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * Request bodies are checked against the schemas of the published contract itself
 * ({@code openapi.yaml}, {@code components.schemas}), so that what the API documents is what it
 * enforces. On top of JSON Schema: unknown fields are named, and amounts must be written as JSON
 * integers ({@code 1.0} and {@code 1e3} are numbers, not integers, in docs/contract.md, Money).
 */
final class RequestSchemas {
  private static final Set<String> INTEGER_FIELDS = Set.of("amount", "overdraftLimit", "expiresInSeconds",
      "max", "windowSeconds", "ageSeconds");
  private static final int MAX_METADATA_BYTES = 4096;
  /** A field path inside an item of a top-level list, e.g. {@code transfers/7/amount}. */
  private static final Pattern LIST_ITEM = Pattern.compile("^[A-Za-z]+/([0-9]+)(/|$)");

  private final Map<String, JsonObject> schemas = new HashMap<>();
  private final Map<String, Validator> validators = new HashMap<>();

  RequestSchemas(JsonObject openApi) {
    JsonObject components = openApi.getJsonObject("components").getJsonObject("schemas");
    JsonSchemaOptions options = new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
        .setBaseUri("https://fincloud.invalid/schemas/").setOutputFormat(OutputFormat.Basic);
    components.fieldNames().stream().filter(name -> name.endsWith("Request")).forEach(name -> {
      JsonObject schema = components.getJsonObject(name);
      schemas.put(name, schema);
      validators.put(name, Validator.create(JsonSchema.of(schema), options));
    });
  }

  static JsonObject loadOpenApi() {
    try (InputStream in = RequestSchemas.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is missing from the classpath");
      }
      Map<String, Object> document = new Yaml().load(in);
      return new JsonObject(document);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether a request may come with no body at all (the body of {@code POST
   * /v1/transfers/{id}/post} is optional): the schema requires no field, so no body means {}.
   */
  boolean acceptsEmpty(String schemaName) {
    JsonObject schema = schemas.get(schemaName);
    return schema != null && schema.getJsonArray("required", new JsonArray()).isEmpty();
  }

  /**
   * A hot route's body that {@link HotRouteBodies} finds clean skips the generic schema walk; any
   * other goes through it.
   *
   * @throws ServiceException VALIDATION_FAILED naming the first bad field
   */
  void validate(String schemaName, JsonObject body) {
    checkShape(schema(schemaName), body, "");
    if (!HotRouteBodies.clean(schemaName, body)) {
      bySchema(schemaName, body);
    }
  }

  /** {@link #validate} without the hot routes' shortcut: what {@link HotRouteBodies} must agree with. */
  void validateWithoutShortcut(String schemaName, JsonObject body) {
    checkShape(schema(schemaName), body, "");
    bySchema(schemaName, body);
  }

  private JsonObject schema(String schemaName) {
    JsonObject schema = schemas.get(schemaName);
    if (schema == null) {
      throw new IllegalStateException("openapi.yaml has no schema " + schemaName);
    }
    return schema;
  }

  private void bySchema(String schemaName, JsonObject body) {
    OutputUnit result = validators.get(schemaName).validate(body);
    if (!result.getValid()) {
      OutputUnit first = mostSpecific(result);
      String field = first.getInstanceLocation() == null ? "" : first.getInstanceLocation().replaceFirst("^#?/?", "");
      throw invalid(field, (field.isEmpty() ? "body" : field) + ": " + first.getError());
    }
  }

  /**
   * The error that says most: the validator also reports every enclosing object and array as not
   * matching ({@code rules: does not match schema}), so take the deepest instance location, and
   * there the keyword that failed itself (e.g. {@code minimum}) rather than a wrapper.
   */
  private static OutputUnit mostSpecific(OutputUnit result) {
    if (result.getErrors() == null || result.getErrors().isEmpty()) {
      return result;
    }
    OutputUnit best = null;
    for (OutputUnit error : result.getErrors()) {
      if (best == null || depth(error) > depth(best) || (depth(error) == depth(best) && wrapper(best) && !wrapper(error))) {
        best = error;
      }
    }
    return best;
  }

  private static int depth(OutputUnit error) {
    String location = error.getInstanceLocation();
    return location == null ? 0 : location.split("/").length;
  }

  private static boolean wrapper(OutputUnit error) {
    String keyword = error.getKeywordLocation() == null ? "" : error.getKeywordLocation();
    String last = keyword.substring(keyword.lastIndexOf('/') + 1);
    return Set.of("properties", "items", "additionalProperties", "prefixItems", "allOf", "anyOf", "oneOf", "$ref")
        .contains(last);
  }

  /** Unknown fields, integer-ness and metadata size, walking objects and arrays of the schema. */
  private static void checkShape(JsonObject schema, Object value, String path) {
    if (value instanceof JsonObject object && schema.containsKey("properties")) {
      JsonObject properties = schema.getJsonObject("properties");
      for (String field : object.fieldNames()) {
        String at = path.isEmpty() ? field : path + "/" + field;
        if (!properties.containsKey(field)) {
          throw invalid(at, "unknown field '" + at + "'");
        }
        checkField(properties.getJsonObject(field), field, object.getValue(field), at);
      }
    } else if (value instanceof JsonArray array && schema.getJsonObject("items") != null) {
      for (int i = 0; i < array.size(); i++) {
        checkShape(schema.getJsonObject("items"), array.getValue(i), path + "/" + i);
      }
    }
  }

  private static void checkField(JsonObject schema, String field, Object value, String at) {
    if (INTEGER_FIELDS.contains(field) && value != null && !(value instanceof Integer || value instanceof Long)) {
      throw invalid(at, at + ": must be a JSON integer in range (no fraction, no exponent, not a string)");
    }
    if (field.equals("amount") && value != null && !Money.isAmount(value)) {
      throw invalid(at, at + ": must be an integer from 1 to " + Money.MAX_AMOUNT);
    }
    if (field.equals("currency") && value != null && !Money.isCurrency(value)) {
      throw invalid(at, at + ": must be an ISO 4217 currency code in upper case");
    }
    if (field.equals("metadata") && value instanceof JsonObject metadata
        && metadata.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_METADATA_BYTES) {
      throw invalid(at, at + ": must be at most 4 KiB of JSON");
    }
    if (schema != null) {
      checkShape(schema, value, at);
    }
  }

  /** The fault names its field and, inside an item of a list (a batch's transfers), the item's index. */
  private static ServiceException invalid(String field, String detail) {
    if (field.isEmpty()) {
      return new ServiceException(ErrorCode.VALIDATION_FAILED, detail, null);
    }
    JsonObject extra = new JsonObject().put("field", field);
    Matcher item = LIST_ITEM.matcher(field);
    if (item.lookingAt()) {
      extra.put("index", Integer.parseInt(item.group(1)));
    }
    return new ServiceException(ErrorCode.VALIDATION_FAILED, detail, extra);
  }
}
