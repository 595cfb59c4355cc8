package fincloud.gateway;

import fincloud.bus.BusReply;
import fincloud.bus.ServiceCalls;
import fincloud.shared.Answer;
import fincloud.shared.StageTimes;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * The last phase of an API request: the request goes to the route's service over the event bus
 * ({@link ServiceCalls}: its circuit breaker, retries within the deadline), and its reply becomes
 * the Answer for the client. A read, or a write that carries an Idempotency-Key (which takes effect
 * at most once), may be sent again after an attempt that got no answer.
 */
final class ServiceForwarder {
  private final ServiceCalls calls;

  ServiceForwarder(ServiceCalls calls) {
    this.calls = calls;
  }

  Future<Answer> forward(RoutingContext ctx, ApiRoute route, ServiceRequest request) {
    long sent = System.nanoTime();
    boolean retriable = route.method() == HttpMethod.GET || request.caller().idempotencyKey() != null;
    return calls.request(route.address(), request.message(), request.caller().toDeliveryOptions(), retriable)
        .map(reply -> {
          RequestTelemetry.downstream(ctx, System.nanoTime() - sent, reply.headers().get(StageTimes.HEADER));
          return BusReply.read(reply);
        });
  }
}
