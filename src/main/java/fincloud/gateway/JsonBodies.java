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
 * about), nothing after it. Depth and number length are bounded by Jackson's read constraints.
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
      parser.skipChildren();
      if (parser.nextToken() != null) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body has data after its JSON object");
      }
    } catch (IOException e) {
      throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the body is not valid JSON: "
          + e.getMessage().lines().findFirst().orElse(""));
    }
    return new JsonObject(body);
  }
}
