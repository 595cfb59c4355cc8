package fincloud.gateway;

import fincloud.bus.BusReply;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One circuit breaker per downstream service ({@code fincloud.<service>.<op>}), shared by every
 * gateway instance of the node so that they all see one state. Only what says the service is
 * unwell counts as a failure: no answer within the call timeout, no handler, a failure reply, or a
 * {@code 503} answer. A business refusal (404, 409, 422, ...) is an answer like any other.
 * While a breaker is open, requests fail at once with {@link OpenCircuitException}; after the
 * reset timeout one request goes through (half-open) and its outcome closes or reopens it.
 */
final class ServiceBreakers {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceBreakers.class);

  /** A 503 answer: counted as a failure by the breaker, then handed to the client as it is. */
  private static final class UnwellAnswer extends RuntimeException {
    final transient Message<JsonObject> reply;

    UnwellAnswer(Message<JsonObject> reply) {
      super("the service answered 503", null, false, false);
      this.reply = reply;
    }
  }

  private final Vertx vertx;
  private final CircuitBreakerOptions options;
  private final GatewayMetrics metrics;
  private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

  /** @param settings the {@code gateway.breaker} section */
  ServiceBreakers(Vertx vertx, JsonObject settings, long callTimeoutMs, GatewayMetrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.options = new CircuitBreakerOptions()
        .setMaxFailures(settings.getInteger("maxFailures", 5))
        .setTimeout(callTimeoutMs)
        .setResetTimeout(settings.getLong("resetTimeoutMs", 2000L))
        .setFailuresRollingWindow(settings.getLong("failureWindowMs", 10_000L))
        .setNotificationAddress(null);
  }

  /** The service's breaker, created on first use. */
  CircuitBreaker of(String service) {
    return breakers.computeIfAbsent(service, name -> {
      CircuitBreaker breaker = CircuitBreaker.create("fincloud-" + name, vertx, options)
          .openHandler(v -> LOG.warn("circuit breaker of {} opened: requests to it are refused for {} ms",
              name, options.getResetTimeout()))
          .halfOpenHandler(v -> LOG.info("circuit breaker of {} half-open: trying one request", name))
          .closeHandler(v -> LOG.info("circuit breaker of {} closed", name));
      metrics.breaker(name, breaker);
      return breaker;
    });
  }

  /**
   * One call to the address's service through its breaker: {@code request} may try several times
   * (see {@link BusRequests}) and counts as one success or one failure. A {@code 503} answer is
   * passed on to the client but counts as a failure.
   */
  Future<Message<JsonObject>> call(String address, Supplier<Future<Message<JsonObject>>> request) {
    String service = BusReply.service(address);
    return of(service).<Message<JsonObject>>execute(() -> request.get()
            .compose(reply -> "503".equals(reply.headers().get(BusReply.STATUS))
                ? Future.failedFuture(new UnwellAnswer(reply)) : Future.succeededFuture(reply)))
        .recover(failure -> {
          if (failure instanceof UnwellAnswer unwell) {
            return Future.succeededFuture(unwell.reply);
          }
          if (failure instanceof OpenCircuitException) {
            metrics.shortCircuited(service);
          }
          return Future.failedFuture(failure);
        });
  }

  /** What a client should wait before trying a service whose breaker is open, in whole seconds. */
  long retryAfterSeconds() {
    return Math.max(1, (options.getResetTimeout() + 999) / 1000);
  }

  /** Each known service's breaker state, for readiness. */
  JsonObject states() {
    JsonObject states = new JsonObject();
    new TreeMap<>(breakers).forEach((service, breaker) -> states.put(service, breaker.state().name()));
    return states;
  }
}
