package fincloud.gateway;

import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** Writes Answers as HTTP responses: JSON or problem+json, replay and retry headers. */
final class HttpAnswers {
  private HttpAnswers() {
  }

  static void send(RoutingContext ctx, Answer answer) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(answer.status())
        .putHeader("Content-Type", answer.isProblem() ? "application/problem+json" : "application/json");
    if (answer.replayed()) {
      response.putHeader("Idempotent-Replayed", "true");
    }
    if ((answer.status() == 503 || answer.status() == 429) && !response.headers().contains("Retry-After")) {
      response.putHeader("Retry-After", "1");
    }
    response.end(answer.body().toBuffer());
  }

  static void problem(RoutingContext ctx, ErrorCode code, String detail) {
    send(ctx, Answer.problem(code, detail, requestId(ctx)));
  }

  static String requestId(RoutingContext ctx) {
    return RequestIds.of(ctx);
  }
}
