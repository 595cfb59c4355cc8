package fincloud.shared;

import io.vertx.core.json.JsonObject;

/**
 * What a service answers to one request: an HTTP status and a JSON body, either a resource or a
 * problem (RFC 9457). Services build problems themselves so that a stored refusal can be replayed
 * byte for byte; the gateway only adds transport headers.
 *
 * @param replayed true when this is an earlier answer given again for the same Idempotency-Key
 */
public record Answer(int status, JsonObject body, boolean replayed) {

  public static Answer ok(JsonObject body) {
    return new Answer(200, body, false);
  }

  public static Answer created(JsonObject body) {
    return new Answer(201, body, false);
  }

  public static Answer problem(ErrorCode code, String detail, String requestId) {
    return problem(code, detail, requestId, null);
  }

  public static Answer problem(ErrorCode code, String detail, String requestId, JsonObject extra) {
    JsonObject body = new JsonObject()
        .put("type", "urn:fincloud:problem:" + code.name())
        .put("title", code.title())
        .put("status", code.status())
        .put("detail", detail)
        .put("code", code.name())
        .put("requestId", requestId);
    if (extra != null) {
      extra.forEach(e -> body.put(e.getKey(), e.getValue()));
    }
    return new Answer(code.status(), body, false);
  }

  public boolean isProblem() {
    return status >= 400;
  }

  /** The code of a problem answer, null for a success. */
  public ErrorCode code() {
    return isProblem() ? ErrorCode.valueOf(body.getString("code")) : null;
  }

  public Answer asReplay() {
    return new Answer(status, body, true);
  }
}
