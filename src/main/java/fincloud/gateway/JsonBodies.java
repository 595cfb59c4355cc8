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
 * about), no U+0000 or unpaired surrogate in any string, nothing after it. Depth and number
 * length are bounded by Jackson's read constraints.
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
   * Reads to the end of the object that has just started, checking every name and string: PostgreSQL
   * text and jsonb cannot hold U+0000 (a 5xx at write time), and an unpaired surrogate is no Unicode
   * character (it would be stored as '?', not as answered). Both are the client's mistake.
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
          if (!storable(parser.getText())) {
            throw new ServiceException(ErrorCode.VALIDATION_FAILED,
                "the body contains U+0000 or an unpaired surrogate (\\uD800-\\uDFFF), which cannot be stored");
          }
        }
        default -> {
          // numbers, booleans and null need no check
        }
      }
    }
  }

  private static boolean storable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\0' || Character.isLowSurrogate(c)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
          return false;
        }
        i++;
      }
    }
    return true;
  }
}
