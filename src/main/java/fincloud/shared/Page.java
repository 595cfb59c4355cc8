package fincloud.shared;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Keyset paging: a page asks for {@code limit} items after an opaque cursor, which is the last id
 * of the previous page, base64url-encoded so that clients do not build it.
 */
public record Page(int limit, String after) {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  /** Reads the {@code limit} and {@code after} that the gateway put in a request's query. */
  public static Page from(JsonObject query) {
    return new Page(query.getInteger("limit", DEFAULT_LIMIT), query.getString("after"));
  }

  public static String encodeCursor(String lastId) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(lastId.getBytes(StandardCharsets.UTF_8));
  }

  /** The id inside a cursor, or null if it is not one of ours. */
  public static String decodeCursor(String cursor) {
    try {
      String id = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      return id.matches("[a-z]{3}_[0-9A-Z]{26}|[0-9]{1,19}") ? id : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The page body from up to {@code limit + 1} fetched items (the extra one only says that more
   * follow); {@code positions} holds each item's keyset position, in the same order.
   */
  public JsonObject toBody(List<JsonObject> fetched, List<String> positions) {
    JsonArray items = new JsonArray();
    int shown = Math.min(limit, fetched.size());
    fetched.subList(0, shown).forEach(items::add);
    String next = fetched.size() > limit ? encodeCursor(positions.get(shown - 1)) : null;
    return new JsonObject().put("items", items).put("nextCursor", next);
  }
}
