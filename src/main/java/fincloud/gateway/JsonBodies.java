package fincloud.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * Parses a request body strictly: one JSON object, no duplicate keys (which parsers disagree
 * about), no U+0000 in any string, nothing after it. Depth and number length are bounded by Jackson's read constraints.
 */
final class JsonBodies {
  private static final JsonFactory STRICT = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private JsonBodies() {
  }

  /** @throws ServiceException VALIDATION_FAILED when the body is not exactly one JSON object */
  static JsonObject parseObject(Buffer body) {
    if (body == null || body.length() == 0) {
      throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body must be a JSON object");
    }
    try (JsonParser parser = STRICT.createParser(body.getBytes())) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body must be a JSON object");
      }
      checkStrings(parser);
      if (parser.nextToken() != null) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body has data after its JSON object");
      }
    } catch (IOException e) {
      throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body is not valid JSON: "
          + e.getMessage().lines().findFirst().orElse(""));
    }
    return new JsonObject(body);
  }

  /**
   * Reads to the end of the object that has just started. PostgreSQL text and jsonb cannot hold
   * U+0000, so a name or string with it could never be stored: the client's mistake, not a 5xx.
   */
  private static void checkStrings(JsonParser parser) throws IOException {
    int depth = 1;
    while (depth > 0) {
      JsonToken token = parser.nextToken();
      if (token == null) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body is not valid JSON: it ends too early");
      }
      switch (token) {
        case START_OBJECT, START_ARRAY -> depth++;
        case END_OBJECT, END_ARRAY -> depth--;
        case FIELD_NAME, VALUE_STRING -> {
          if (parser.getText().indexOf('\0') >= 0) {
            throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body contains the NUL character (U+0000)");
          }
        }
        default -> {
          // numbers, booleans and null need no check
        }
      }
    }
  }
}
