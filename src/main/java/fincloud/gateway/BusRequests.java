package fincloud.gateway;

import fincloud.bus.BusReply;
import fincloud.shared.ErrorCode;
import fincloud.shared.NodeMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * The gateway's event-bus requests to services, within the request's deadline
 * ({@code FINCLOUD_REQUEST_TIMEOUT_MS}), retried on another node when that is safe.
 * <p>
 * In a cluster, a request sent to a node that dies is lost without a word: the sender only sees
 * its timeout. So a request that may be retried (a read, or a write that carries an
 * Idempotency-Key, which takes effect at most once) gets a shorter timeout per attempt
 * ({@code gateway.attemptTimeoutMs}) and goes out again — the event bus picks the next node —
 * until the deadline. A request that may not be retried gets the whole deadline for one attempt.
 * Retried in any case: "no handlers" (a node's view of who serves an address lags behind a node
 * that just left), a few times. And a retry that finds its own earlier attempt still running
 * ({@code 409 IDEMPOTENCY_IN_FLIGHT}) waits for it and asks again, so that the client gets the
 * first attempt's answer, not a conflict with itself.
 */
final class BusRequests {
  private static final int NO_HANDLER_RETRIES = 3;
  private static final long MAX_BACKOFF_MS = 400;

  private final Vertx vertx;
  private final long deadlineMs;
  private final long attemptTimeoutMs;
  private final Counter retriedTimeout;
  private final Counter retriedNoHandlers;
  private final Counter retriedInFlight;

  BusRequests(Vertx vertx, JsonObject config) {
    this.vertx = vertx;
    this.deadlineMs = config.getLong("FINCLOUD_REQUEST_TIMEOUT_MS", 10_000L);
    this.attemptTimeoutMs = Math.min(deadlineMs,
        config.getJsonObject("gateway", new JsonObject()).getLong("attemptTimeoutMs", 3_000L));
    MeterRegistry registry = NodeMetrics.registry();
    retriedTimeout = retries(registry, "timeout");
    retriedNoHandlers = retries(registry, "no_handlers");
    retriedInFlight = retries(registry, "in_flight");
  }

  private static Counter retries(MeterRegistry registry, String reason) {
    return Counter.builder(NodeMetrics.GATEWAY_RETRIES).tag("reason", reason)
        .description("Event-bus requests the gateway sent again, by reason").register(registry);
  }

  /** @param retriable whether a request that timed out may be sent again (it is safe to repeat) */
  Future<Message<JsonObject>> request(String address, JsonObject body, DeliveryOptions options, boolean retriable) {
    return attempt(new Attempt(address, body, options, retriable, System.nanoTime() + deadlineMs * 1_000_000L));
  }

  /** One request and what its attempts so far have met. */
  private static final class Attempt {
    final String address;
    final JsonObject body;
    final DeliveryOptions options;
    final boolean retriable;
    final long deadlineNanos;
    int number;
    int noHandlers;
    boolean timedOut;

    Attempt(String address, JsonObject body, DeliveryOptions options, boolean retriable, long deadlineNanos) {
      this.address = address;
      this.body = body;
      this.options = options;
      this.retriable = retriable;
      this.deadlineNanos = deadlineNanos;
    }

    long leftMs() {
      return (deadlineNanos - System.nanoTime()) / 1_000_000L;
    }
  }

  private Future<Message<JsonObject>> attempt(Attempt a) {
    a.number++;
    long timeout = a.retriable ? Math.min(attemptTimeoutMs, a.leftMs()) : a.leftMs();
    DeliveryOptions options = new DeliveryOptions(a.options).setSendTimeout(Math.max(1, timeout));
    return vertx.eventBus().<JsonObject>request(a.address, a.body, options).compose(
        reply -> {
          if (a.timedOut && ownAttemptStillRunning(reply) && a.leftMs() > backoff(a.number)) {
            retriedInFlight.increment();
            return later(backoff(a.number)).compose(waited -> attempt(a));
          }
          return Future.succeededFuture(reply);
        },
        failure -> {
          ReplyFailure type = failure instanceof ReplyException reply ? reply.failureType() : null;
          if (type == ReplyFailure.NO_HANDLERS && a.noHandlers < NO_HANDLER_RETRIES && a.leftMs() > backoff(a.number)) {
            a.noHandlers++;
            retriedNoHandlers.increment();
            return later(backoff(a.number)).compose(waited -> attempt(a));
          }
          if (type == ReplyFailure.TIMEOUT && a.retriable && a.leftMs() > 0) {
            a.timedOut = true;
            retriedTimeout.increment();
            return attempt(a);
          }
          return Future.failedFuture(failure);
        });
  }

  /** After a timeout, "in flight" is (almost surely) the earlier attempt of this very request. */
  private static boolean ownAttemptStillRunning(Message<JsonObject> reply) {
    return ErrorCode.IDEMPOTENCY_IN_FLIGHT.name().equals(reply.headers().get(BusReply.CODE));
  }

  private static long backoff(int number) {
    return Math.min(MAX_BACKOFF_MS, 25L << Math.min(number, 5));
  }

  private Future<Void> later(long ms) {
    return vertx.timer(ms).mapEmpty();
  }
}
