package fincloud.payments;

import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.NodeMetrics;
import fincloud.shared.NodeState;
import fincloud.shared.RequestContext;
import fincloud.shared.StageTimes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the risk service, over the event bus, to score transfers, through one circuit breaker with
 * a short timeout: when risk is down, slow, or the breaker is open, the configured
 * {@link RiskFallback} decides at once. Also gives risk back the velocity slots of requests that
 * made no transfer.
 *
 * <p>Metrics: {@code fincloud_risk_breaker_state} (0 closed, 1 half-open, 2 open),
 * {@code fincloud_risk_fallback_total{decision}} and the round trip {@code fincloud_risk_latency_seconds}.
 */
final class RiskClient {
  private static final Logger LOG = LoggerFactory.getLogger(RiskClient.class);

  /**
   * @param decisions one per scored item, in order (fewer when risk stopped at a batch's first refusal)
   * @param reservations the velocity slots risk took for them
   * @param fallback whether the fallback decided, risk being unavailable
   */
  record Scores(List<JsonObject> decisions, JsonArray reservations, boolean fallback) {
  }

  private final Vertx vertx;
  private final CircuitBreaker breaker;
  private final RiskFallback fallback;
  private final long replyTimeoutMs;
  private final long timeoutMs;
  private final MeterRegistry registry;
  private final Gauge breakerState;
  private final Timer calls;
  private final Counter fallbackApproved;
  private final Counter fallbackDeclined;

  /** @param config the {@code risk} section of the configuration */
  RiskClient(Vertx vertx, JsonObject config) {
    this.vertx = vertx;
    this.timeoutMs = config.getLong("timeoutMs", 1000L);
    JsonObject breakerConfig = config.getJsonObject("breaker", new JsonObject());
    this.fallback = RiskFallback.from(config.getJsonObject("fallback"));
    // A reply later than the breaker's timeout is still awaited a while, to give back its slots.
    this.replyTimeoutMs = Math.max(2000, 4 * timeoutMs);
    this.breaker = CircuitBreaker.create("risk", vertx, new CircuitBreakerOptions()
            .setTimeout(timeoutMs)
            .setMaxFailures(breakerConfig.getInteger("maxFailures", 5))
            .setResetTimeout(breakerConfig.getLong("resetTimeoutMs", 2000L))
            .setNotificationAddress(null))
        .openHandler(v -> changed("OPEN", "risk circuit breaker open: the fallback decides"))
        .halfOpenHandler(v -> changed("HALF_OPEN", "risk circuit breaker half-open: trying risk again"))
        .closeHandler(v -> changed("CLOSED", "risk circuit breaker closed: risk decides again"));
    NodeState.breaker(vertx, "risk", "CLOSED");
    this.registry = NodeMetrics.registry();
    this.breakerState = Gauge.builder(NodeMetrics.RISK_BREAKER_STATE, breaker, b -> switch (b.state()) {
          case CLOSED -> 0;
          case HALF_OPEN -> 1;
          case OPEN -> 2;
        })
        .description("Payments' circuit breaker in front of risk: 0 closed, 1 half-open, 2 open").register(registry);
    this.calls = Timer.builder(NodeMetrics.RISK_LATENCY)
        .description("Risk scoring as payments sees it: the event-bus round trip, or the fallback")
        .register(registry);
    this.fallbackApproved = fallbackCounter("APPROVE");
    this.fallbackDeclined = fallbackCounter("DECLINE");
  }

  /** Lists the state for the node's readiness check, which shows breakers without failing on them. */
  private void changed(String state, String message) {
    NodeState.breaker(vertx, "risk", state);
    if (state.equals("OPEN")) {
      LOG.warn(message);
    } else {
      LOG.info(message);
    }
  }

  private Counter fallbackCounter(String decision) {
    return Counter.builder(NodeMetrics.RISK_FALLBACK).description("Requests decided by the risk fallback")
        .tag("decision", decision).register(registry);
  }

  /** Scores the items; never fails (the fallback decides instead). */
  Future<Scores> score(RequestContext caller, List<TransferItem> items, Map<String, AccountState> accounts,
      boolean batch) {
    if (items.isEmpty()) {
      return Future.succeededFuture(new Scores(List.of(), new JsonArray(), false));
    }
    long now = Instant.now().getEpochSecond();
    JsonArray payload = new JsonArray();
    items.forEach(item -> payload.add(item.toJson().put("debitAccountAgeSeconds",
        now - accounts.get(item.debitAccountId()).createdAtEpochSecond)));
    JsonObject request = new JsonObject().put("tenant", caller.tenant()).put("batch", batch).put("items", payload);
    long started = System.nanoTime();
    @SuppressWarnings("unchecked")
    Future<JsonObject>[] sent = new Future[1];
    return breaker.<JsonObject>execute(() -> sent[0] = askUntilDelivered(caller, request, 0, true).map(Message::body))
        .map(reply -> new Scores(reply.getJsonArray("decisions").stream().map(d -> (JsonObject) d).toList(),
            reply.getJsonArray("reservations", new JsonArray()), false))
        .recover(failure -> {
          if (sent[0] != null) {
            // Timed out here but risk may still answer, having taken slots for nothing.
            sent[0].onSuccess(late -> release(caller, late.getJsonArray("reservations")));
          }
          LOG.debug("risk unavailable for request {}: {}", caller.requestId(), failure.getMessage());
          List<JsonObject> decisions = fallback.decide(items);
          boolean declined = decisions.stream().anyMatch(d -> d.getString("decision").equals("DECLINE"));
          (declined ? fallbackDeclined : fallbackApproved).increment();
          return Future.succeededFuture(new Scores(decisions, new JsonArray(), true));
        })
        .andThen(done -> {
          calls.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
          StageTimes.record(caller, "risk", System.nanoTime() - started);
        });
  }

  /**
   * Asks again, after 50, 100 and 200 ms, while no node runs risk yet (see {@link #neverDelivered});
   * and once more, of the next node, when the first attempt got no answer within half the time
   * budget: in a cluster a message that reaches a node just as it leaves is dropped without a word.
   * A lost answer may leave velocity slots taken; that tightens a limit by one transfer for one
   * window at most (the README's trade-off), where not retrying would decline a good transfer.
   */
  private Future<Message<JsonObject>> askUntilDelivered(RequestContext caller, JsonObject request, int retries,
      boolean mayRetryTimeout) {
    long timeout = mayRetryTimeout ? Math.max(1, timeoutMs / 2) : replyTimeoutMs;
    return ask(caller, request, timeout).recover(failure -> {
      if (neverDelivered(failure) && retries < 3) {
        return vertx.timer(50L << retries).compose(waited -> askUntilDelivered(caller, request, retries + 1,
            mayRetryTimeout));
      }
      if (mayRetryTimeout && timedOut(failure)) {
        return askUntilDelivered(caller, request, retries, false);
      }
      return Future.failedFuture(failure);
    });
  }

  private Future<Message<JsonObject>> ask(RequestContext caller, JsonObject request, long timeout) {
    return vertx.eventBus().request(Addresses.RISK_SCORE, request, caller.toDeliveryOptions().setSendTimeout(timeout));
  }

  private static boolean timedOut(Throwable failure) {
    return failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT;
  }

  /**
   * A request that found no risk consumer (a node just left, or is still starting, or its
   * registration has not reached this node yet) reached no one and took no velocity slot, so it is
   * asked again, a few times, before the fallback.
   */
  private static boolean neverDelivered(Throwable failure) {
    return failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS;
  }

  /**
   * Gives the velocity slots back unless the ledger made the transfers: a refusal, a failure, or
   * an earlier answer replayed for the key (this attempt made nothing).
   */
  void settle(RequestContext caller, Scores scores, AsyncResult<Answer> applied) {
    boolean made = applied.succeeded() && !applied.result().isProblem() && !applied.result().replayed();
    if (!made) {
      release(caller, scores.reservations());
    }
  }

  private void release(RequestContext caller, JsonArray reservations) {
    if (reservations != null && !reservations.isEmpty()) {
      vertx.eventBus().send(Addresses.RISK_RELEASE, new JsonObject().put("tenant", caller.tenant())
          .put("reservations", reservations), caller.toDeliveryOptions());
    }
  }

  void close() {
    NodeState.breaker(vertx, "risk", null);
    registry.remove(breakerState);
    breaker.close();
  }
}
