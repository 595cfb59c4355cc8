package fincloud.gateway;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * One API request after {@link HeaderAdmission} has admitted it on its headers (token, rate limit,
 * scope, room for the body) and its body is in: parsed ({@link RequestParser}: media type, body,
 * parameters), forwarded to its service ({@link ServiceForwarder}), and answered — the service's
 * answer, or what {@link FailureAnswers} makes of a failure.
 */
final class ApiHandler {
  private final RequestParser parser;
  private final ServiceForwarder forwarder;
  private final FailureAnswers failures;
  private final GatewayMetrics metrics;

  ApiHandler(RequestParser parser, ServiceForwarder forwarder, FailureAnswers failures, GatewayMetrics metrics) {
    this.parser = parser;
    this.forwarder = forwarder;
    this.failures = failures;
    this.metrics = metrics;
  }

  void handle(RoutingContext ctx, ApiRoute route) {
    parser.parse(ctx, route)
        .compose(request -> forwarder.forward(ctx, route, request))
        .recover(failure -> Future.succeededFuture(failures.answer(ctx, failure)))
        .onSuccess(answer -> {
          metrics.transfers(route, answer);
          HttpAnswers.send(ctx, answer);
        });
  }
}
