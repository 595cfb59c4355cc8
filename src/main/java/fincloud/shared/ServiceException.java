package fincloud.shared;

import io.vertx.core.json.JsonObject;

/** A refusal decided inside a service, carried up a Future chain until it becomes an Answer. */
public class ServiceException extends RuntimeException {
  private final ErrorCode code;
  private final JsonObject extra;

  public ServiceException(ErrorCode code, String detail) {
    this(code, detail, null);
  }

  public ServiceException(ErrorCode code, String detail, JsonObject extra) {
    super(detail, null, false, false);
    this.code = code;
    this.extra = extra;
  }

  public ErrorCode code() {
    return code;
  }

  public Answer toAnswer(String requestId) {
    return Answer.problem(code, getMessage(), requestId, extra);
  }
}
