package fincloud.bus;

import fincloud.shared.Addresses;
import fincloud.shared.ErrorCode;
import fincloud.shared.NodeMetrics;
import fincloud.shared.NodeMetrics.CallMeters;
import fincloud.shared.NodeState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One caller's event-bus requests to the services it depends on ({@code fincloud.<service>.<op>}):
 * the gateway's to every service, payments' to risk. Each call goes through its service's circuit
 * breaker and is retried within its deadline ({@link CallPolicy#timeoutMs()}) when that is safe.
 *
 * <p>Local first: a node that runs the service calls its own instance (the node-local twin of the
 * address that {@link ServiceConsumers} registers), which cannot have died while the caller lives;
 * a node that does not, or whose instance is draining or gave no answer in time, calls any
 * instance in the cluster.
 *
 * <p>Retried: "no handlers", a few times after a short backoff (a node's view of who serves an
 * address lags behind a node that just left or is still starting; such a request reached no one).
 * A call that may be repeated (a read, a write carrying an Idempotency-Key, a score) waits
 * {@link CallPolicy#attemptTimeoutMs()} for each attempt and, when that times out, is sent again —
 * the event bus picks the next instance — for as long as the deadline leaves room for another
 * attempt; the last one has the rest of the deadline. In a cluster a request sent to a node that
 * dies is lost without a word, the sender only sees its timeout; the next attempt goes to a live
 * instance unless the bus picks the dead one again, which it stops doing once the cluster has
 * noticed the death (seconds). A call that may not be repeated has the whole deadline for one
 * attempt. And a retry that finds its own earlier attempt still running
 * ({@code 409 IDEMPOTENCY_IN_FLIGHT}) waits for it and asks again, so that the client gets the
 * first attempt's answer, not a conflict with itself.
 *
 * <p>Only what says the service is unwell counts as a breaker failure: no answer in time, no
 * handler, a failure reply, or a {@code 503} answer (handed on as it is). A business refusal
 * (404, 409, 422, ...) is an answer like any other. While a breaker is open, calls fail at once
 * with {@link OpenCircuitException}; after the reset timeout one call goes through (half-open)
 * and its outcome closes or reopens it. Breaker states go to {@link NodeState#breaker} (readiness
 * lists them) and, like retries, refusals and call durations, to the caller's {@link CallMeters}.
 * Every attempt to the cluster address carries a {@link CallerSeal} for it, made for the attempt's
 * timeout; one to the node-local twin carries none, since only this process can reach that (see
 * {@link ServiceConsumers}). Safe to share between the verticle instances of a node.
 */
public final class ServiceCalls {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceCalls.class);
  /** "No handlers" is asked again this many times at most, after 50, 100 and 200 ms. */
  static final int NO_HANDLER_RETRIES = 3;
  static final long FIRST_BACKOFF_MS = 50;
  static final long MAX_BACKOFF_MS = 400;
  /**
   * How long a reply is still awaited after a call gave up, when its caller has something to undo
   * (see {@link #request(String, JsonObject, DeliveryOptions, boolean, Handler)}): at least this,
   * and at least three deadlines.
   */
  static final long LATE_REPLY_MIN_MS = 2000;
  /** Why an attempt was sent again, as the retries meter's {@code reason} tag says it. */
  private static final String NO_HANDLERS = "no_handlers";
  private static final String TIMEOUT = "timeout";

  /** A 503 answer: counted as a failure by the breaker, then handed to the caller as it is. */
  private static final class UnwellAnswer extends RuntimeException {
    final transient Message<JsonObject> reply;

    UnwellAnswer(Message<JsonObject> reply) {
      super("the service answered 503", null, false, false);
      this.reply = reply;
    }
  }

  /** One downstream service: its breaker and its meters. */
  private record Downstream(CircuitBreaker breaker, Gauge state, Counter rejected, Timer latency) {
  }

  private final Vertx vertx;
  private final String caller;
  private final CallPolicy policy;
  private final CallMeters meters;
  private final MeterRegistry registry = NodeMetrics.registry();
  private final CircuitBreakerOptions breakerOptions;
  private final Map<String, Downstream> downstreams = new ConcurrentHashMap<>();

  /** @param caller who calls ({@code gateway}, {@code payments}): the name its breakers are listed under */
  public ServiceCalls(Vertx vertx, String caller, CallPolicy policy, CallMeters meters) {
    this.vertx = vertx;
    this.caller = caller;
    this.policy = policy;
    this.meters = meters;
    // No timeout of the breaker's own: the attempts keep the deadline (see request).
    this.breakerOptions = new CircuitBreakerOptions().setMaxFailures(policy.maxFailures()).setTimeout(-1)
        .setResetTimeout(policy.resetTimeoutMs()).setFailuresRollingWindow(policy.failureWindowMs())
        .setNotificationAddress(null);
  }

  public CallPolicy policy() {
    return policy;
  }

  /** Creates the service's breaker now, so that readiness and /metrics list it before the first call. */
  public void watch(String service) {
    downstream(service);
  }

  /** @see #request(String, JsonObject, DeliveryOptions, boolean, Handler) */
  public Future<Message<JsonObject>> request(String address, JsonObject body, DeliveryOptions options,
      boolean retriable) {
    return request(address, body, options, retriable, null);
  }

  /**
   * One call, through the breaker of the address's service: its attempts count as one success or
   * one failure.
   *
   * @param retriable whether an attempt that timed out may be sent again (it is safe to repeat)
   * @param lateReply given a reply that comes after the call gave up (at its deadline), so that the
   *     caller can undo what the service did for nothing; null when there is nothing to undo
   */
  public Future<Message<JsonObject>> request(String address, JsonObject body, DeliveryOptions options,
      boolean retriable, Handler<Message<JsonObject>> lateReply) {
    String service = BusReply.service(address);
    Downstream downstream = downstream(service);
    long started = System.nanoTime();
    Call call = new Call(service, address, body, options, retriable, lateReply != null,
        started + policy.timeoutMs() * 1_000_000L);
    return downstream.breaker().<Message<JsonObject>>execute(() -> withinDeadline(call, attempt(call), lateReply)
            .compose(reply -> "503".equals(reply.headers().get(BusReply.STATUS))
                ? Future.failedFuture(new UnwellAnswer(reply)) : Future.succeededFuture(reply)))
        .recover(failure -> {
          if (failure instanceof UnwellAnswer unwell) {
            return Future.succeededFuture(unwell.reply);
          }
          if (failure instanceof OpenCircuitException) {
            downstream.rejected().increment();
          }
          return Future.failedFuture(failure);
        })
        .andThen(done -> downstream.latency().record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
  }

  /** Each known service's breaker state, for readiness. */
  public JsonObject states() {
    return new JsonObject(NodeState.breakers(vertx, caller));
  }

  /** Forgets the breakers and their meters (a verticle that is undeployed). */
  public void close() {
    downstreams.forEach((service, downstream) -> {
      NodeState.breaker(vertx, caller, service, null);
      registry.remove(downstream.state());
      downstream.breaker().close();
    });
    downstreams.clear();
  }

  /** One call and what its attempts so far have met. */
  private static final class Call {
    final String service;
    final String address;
    final JsonObject body;
    final DeliveryOptions options;
    final boolean retriable;
    final boolean awaitsLateReply;
    final long deadlineNanos;
    int noHandlers;
    int waits;
    boolean timedOut;
    boolean localFirst = true;

    Call(String service, String address, JsonObject body, DeliveryOptions options, boolean retriable,
        boolean awaitsLateReply, long deadlineNanos) {
      this.service = service;
      this.address = address;
      this.body = body;
      this.options = options;
      this.retriable = retriable;
      this.awaitsLateReply = awaitsLateReply;
      this.deadlineNanos = deadlineNanos;
    }

    long leftMs() {
      return (deadlineNanos - System.nanoTime()) / 1_000_000L;
    }

    /** The next wait before asking again: 50, 100, 200, 400, 400 ... ms. */
    long backoffMs() {
      return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(waits, 4));
    }
  }

  /**
   * Sends the call once: to this node's own instance of the service first (its node-local twin
   * address; "no handlers" there means the node does not run it, and the cluster is asked at once),
   * to any instance in the cluster otherwise. An attempt of a call that may be repeated waits
   * {@link CallPolicy#attemptTimeoutMs()} unless it is the last one the deadline leaves room for.
   */
  private Future<Message<JsonObject>> attempt(Call call) {
    boolean local = call.localFirst;
    call.localFirst = false;
    boolean last = !call.retriable || call.leftMs() <= policy.attemptTimeoutMs();
    long timeout = last ? call.leftMs() + (call.awaitsLateReply ? lateReplyMs() : 0) : policy.attemptTimeoutMs();
    DeliveryOptions options = new DeliveryOptions(call.options).setSendTimeout(Math.max(1, timeout)).setLocalOnly(local);
    if (!local) {
      CallerSeal.seal(vertx, call.address, call.body, options, timeout);
    }
    String address = local ? Addresses.local(call.address) : call.address;
    return vertx.eventBus().<JsonObject>request(address, call.body, options).compose(
        reply -> {
          if (call.timedOut && ownAttemptStillRunning(reply) && call.leftMs() > call.backoffMs()) {
            return again(call, "in_flight");
          }
          return Future.succeededFuture(reply);
        },
        failure -> {
          ReplyFailure type = failure instanceof ReplyException reply ? reply.failureType() : null;
          if (local && type == ReplyFailure.NO_HANDLERS) {
            return attempt(call);
          }
          if (type == ReplyFailure.NO_HANDLERS && call.noHandlers < NO_HANDLER_RETRIES
              && call.leftMs() > call.backoffMs()) {
            call.noHandlers++;
            return again(call, NO_HANDLERS);
          }
          if (type == ReplyFailure.TIMEOUT && !last && call.leftMs() > 0) {
            // In a cluster a request sent to a node that died is lost without a word; the bus
            // picks the next instance for the next attempt.
            call.timedOut = true;
            retried(call.service, TIMEOUT);
            return attempt(call);
          }
          return Future.failedFuture(failure);
        });
  }

  private Future<Message<JsonObject>> again(Call call, String reason) {
    retried(call.service, reason);
    long backoff = call.backoffMs();
    call.waits++;
    return vertx.timer(backoff).compose(waited -> attempt(call));
  }

  /** After a timeout, "in flight" is (almost surely) the earlier attempt of this very request. */
  private static boolean ownAttemptStillRunning(Message<JsonObject> reply) {
    return ErrorCode.IDEMPOTENCY_IN_FLIGHT.name().equals(reply.headers().get(BusReply.CODE));
  }

  /**
   * The attempts keep the deadline themselves, except the last one of a call that awaits a late
   * reply: that call gives up at its deadline, and the reply, should it still come, goes to
   * {@code lateReply}.
   */
  private Future<Message<JsonObject>> withinDeadline(Call call, Future<Message<JsonObject>> attempts,
      Handler<Message<JsonObject>> lateReply) {
    if (lateReply == null) {
      return attempts;
    }
    Promise<Message<JsonObject>> answer = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, call.leftMs()), fired -> answer.tryFail(new ReplyException(
        ReplyFailure.TIMEOUT, "no answer from " + call.address + " within " + policy.timeoutMs() + " ms")));
    attempts.onComplete(done -> {
      vertx.cancelTimer(timer);
      boolean onTime = done.succeeded() ? answer.tryComplete(done.result()) : answer.tryFail(done.cause());
      if (!onTime && done.succeeded()) {
        lateReply.handle(done.result());
      }
    });
    return answer.future();
  }

  private long lateReplyMs() {
    return Math.max(LATE_REPLY_MIN_MS, 3 * policy.timeoutMs());
  }

  private void retried(String service, String reason) {
    retries(service, reason).increment();
  }

  private Counter retries(String service, String reason) {
    return Counter.builder(meters.retries()).description("Event-bus requests sent again, by downstream service and reason")
        .tag("service", service).tag("reason", reason).register(registry);
  }

  private Downstream downstream(String service) {
    return downstreams.computeIfAbsent(service, name -> {
      CircuitBreaker breaker = CircuitBreaker.create("fincloud-" + caller + "-" + name, vertx, breakerOptions)
          .openHandler(v -> changed(name, "OPEN"))
          .halfOpenHandler(v -> changed(name, "HALF_OPEN"))
          .closeHandler(v -> changed(name, "CLOSED"));
      NodeState.breaker(vertx, caller, name, "CLOSED");
      Gauge state = Gauge.builder(meters.breakerState(), breaker, b -> switch (b.state()) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
          })
          .description("Circuit breaker of a downstream service: 0 closed, 1 half-open, 2 open")
          .tag("service", name).strongReference(true).register(registry);
      Counter rejected = Counter.builder(meters.breakerRejected())
          .description("Calls refused at once by an open breaker").tag("service", name).register(registry);
      Timer latency = Timer.builder(meters.latency()).description("Calls to a service, their retries included")
          .tag("service", name).register(registry);
      // listed at zero from the start, so that a dashboard's rate() has a series before the first retry
      List.of(NO_HANDLERS, TIMEOUT).forEach(reason -> retries(name, reason));
      return new Downstream(breaker, state, rejected, latency);
    });
  }

  private void changed(String service, String state) {
    NodeState.breaker(vertx, caller, service, state);
    if (state.equals("OPEN")) {
      LOG.warn("circuit breaker of {} for {} opened: calls to it are refused for {} ms", service, caller,
          policy.resetTimeoutMs());
    } else {
      LOG.info("circuit breaker of {} for {} is {}", service, caller, state);
    }
  }
}
