package fincloud.gateway;

import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import java.util.UUID;

/**
 * Requests that are not valid HTTP never reach the router. Over-long request lines and headers
 * keep the server's bare 414/431 (allowed by docs/contract.md, Conventions); anything else the decoder refuses (a bad
 * header name, a NUL in a header, conflicting lengths) is a 400 problem like every other refusal,
 * with a request id, and the connection is closed because its framing can no longer be trusted.
 */
final class MalformedRequests implements Handler<HttpServerRequest> {
  @Override
  public void handle(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof TooLongHttpLineException || cause instanceof TooLongHttpHeaderException) {
      HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
      return;
    }
    String requestId = UUID.randomUUID().toString();
    Answer problem = Answer.problem(ErrorCode.VALIDATION_FAILED, "the request is not valid HTTP/1.1", requestId);
    request.response().setStatusCode(problem.status())
        .putHeader("Content-Type", "application/problem+json")
        .putHeader(RequestIds.HEADER, requestId)
        .putHeader("Connection", "close")
        .end(problem.body().toBuffer())
        .onComplete(done -> request.connection().close());
  }
}
