package fincloud.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * Parses a request body strictly: one JSON object, no duplicate keys (which parsers disagree
 * about), nothing after it, and no string PostgreSQL cannot keep as sent (U+0000, unpaired
 * surrogates: I-JSON, RFC 7493). Depth and number length are bounded by Jackson's read constraints.
 */
final class JsonBodies {
  /**
   * Bodies nest a few levels (a batch's items' metadata); 64 leaves room for any sane metadata and
   * keeps every record that embeds a body (audit data, stored answers) well inside Jackson's limit
   * of 1000 levels when it is written again.
   */
  static final int MAX_DEPTH = 64;
  private static final JsonFactory STRICT = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
      .build();

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
      for (int depth = 1; depth > 0; ) {
        JsonToken token = parser.nextToken();
        if (token == null) {
          throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body ends inside its JSON object");
        }
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
          depth++;
        } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
          depth--;
        } else if (token == JsonToken.FIELD_NAME || token == JsonToken.VALUE_STRING) {
          storable(parser.getText());
        }
      }
      if (parser.nextToken() != null) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body has data after its JSON object");
      }
    } catch (IOException e) {
      throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body is not valid JSON: "
          + e.getMessage().lines().findFirst().orElse(""));
    }
    return new JsonObject(body);
  }

  /** PostgreSQL refuses U+0000 in text and jsonb, and would store an unpaired surrogate as '?'. */
  private static void storable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1));
      if (c == 0 || (Character.isSurrogate(c) && !paired)) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED,
            "the body has a string with U+0000 or an unpaired surrogate, which is not kept as sent");
      }
      if (paired) {
        i++;
      }
    }
  }
}
