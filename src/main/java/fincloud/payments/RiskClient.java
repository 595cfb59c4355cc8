package fincloud.payments;

import fincloud.bus.CallerSeal;
import fincloud.bus.Decision;
import fincloud.bus.RiskScore;
import fincloud.bus.RiskScores;
import fincloud.bus.ScoreRequest;
import fincloud.bus.ScoredTransfer;
import fincloud.bus.ServiceCalls;
import fincloud.bus.VelocityRelease;
import fincloud.bus.VelocitySlot;
import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.NodeMetrics;
import fincloud.shared.RequestContext;
import fincloud.shared.StageTimes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the risk service to score transfers, through {@link ServiceCalls} (its circuit breaker, a
 * short deadline, {@code risk.timeoutMs}, the node's own risk instance first, and another attempt
 * on another instance each time one gets no answer within {@code risk.attemptTimeoutMs}): only
 * when no risk instance answers within the deadline, or the breaker is open, does the configured
 * {@link RiskFallback} decide. Also gives risk back the velocity slots of requests that
 * made no transfer, a late answer's included.
 *
 * <p>A lost answer may leave velocity slots taken; that tightens a limit by one transfer for one
 * window at most (the README's trade-off), where not retrying would decline a good transfer.
 *
 * <p>Metrics: the call's ({@link NodeMetrics#PAYMENTS_CALLS}, service {@code risk}),
 * {@link NodeMetrics#RISK_FALLBACK} by decision and the round trip as payments sees it,
 * fallback included, {@link NodeMetrics#RISK_LATENCY}.
 */
final class RiskClient {
  private static final Logger LOG = LoggerFactory.getLogger(RiskClient.class);

  private final Vertx vertx;
  private final ServiceCalls calls;
  private final RiskFallback fallback;
  private final Timer latency;
  private final Counter fallbackApproved;
  private final Counter fallbackDeclined;

  RiskClient(Vertx vertx, RiskClientSettings settings) {
    this.vertx = vertx;
    this.calls = new ServiceCalls(vertx, "payments", settings.calls(), NodeMetrics.PAYMENTS_CALLS);
    calls.watch("risk");
    this.fallback = settings.fallback();
    this.latency = Timer.builder(NodeMetrics.RISK_LATENCY)
        .description("Risk scoring as payments sees it: the event-bus round trip, or the fallback")
        .register(NodeMetrics.registry());
    this.fallbackApproved = fallbackCounter(Decision.APPROVE);
    this.fallbackDeclined = fallbackCounter(Decision.DECLINE);
  }

  private static Counter fallbackCounter(Decision decision) {
    return Counter.builder(NodeMetrics.RISK_FALLBACK).description("Requests decided by the risk fallback")
        .tag("decision", decision.name()).register(NodeMetrics.registry());
  }

  /** Scores the items; never fails (the fallback decides instead). */
  Future<RiskScores> score(RequestContext caller, List<TransferItem> items, Map<String, AccountState> accounts,
      boolean batch) {
    if (items.isEmpty()) {
      return Future.succeededFuture(new RiskScores(List.of(), List.of()));
    }
    long started = System.nanoTime();
    return calls.request(Addresses.RISK_SCORE, request(caller, items, accounts, batch).toJson(),
            caller.toDeliveryOptions(), true, late -> release(caller, RiskScores.fromJson(late.body()).reservations()))
        .map(reply -> RiskScores.fromJson(reply.body()))
        .recover(failure -> {
          LOG.debug("risk unavailable for request {}: {}", caller.requestId(), failure.getMessage());
          List<RiskScore> decisions = fallback.decide(items);
          (decisions.stream().anyMatch(RiskScore::declined) ? fallbackDeclined : fallbackApproved).increment();
          return Future.succeededFuture(new RiskScores(decisions, List.of()));
        })
        .andThen(done -> {
          latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
          StageTimes.record(caller, "risk", System.nanoTime() - started);
        });
  }

  private static ScoreRequest request(RequestContext caller, List<TransferItem> items,
      Map<String, AccountState> accounts, boolean batch) {
    long now = Instant.now().getEpochSecond();
    return new ScoreRequest(caller.tenant(), batch, items.stream().map(item -> new ScoredTransfer(
        item.debitAccountId(), item.creditAccountId(), item.amount(), item.currency(), item.mode().name(), item.reference(),
        now - accounts.get(item.debitAccountId()).createdAtEpochSecond)).toList());
  }

  /**
   * Gives the velocity slots back unless the ledger made the transfers: a refusal, a failure, or
   * an earlier answer replayed for the key (this attempt made nothing).
   */
  void settle(RequestContext caller, RiskScores scores, AsyncResult<Answer> applied) {
    boolean made = applied.succeeded() && !applied.result().isProblem() && !applied.result().replayed();
    if (!made) {
      release(caller, scores.reservations());
    }
  }

  /** Gives back the slot of a hold that was voided or expired (the transfer was made, then undone). */
  void release(VelocityRelease held) {
    JsonObject release = held.toJson();
    vertx.eventBus().send(Addresses.RISK_RELEASE, release,
        CallerSeal.sealed(vertx, Addresses.RISK_RELEASE, release, calls.policy().timeoutMs()));
  }

  private void release(RequestContext caller, List<VelocitySlot> reservations) {
    if (!reservations.isEmpty()) {
      JsonObject release = new VelocityRelease(caller.tenant(), reservations).toJson();
      vertx.eventBus().send(Addresses.RISK_RELEASE, release, CallerSeal.seal(vertx, Addresses.RISK_RELEASE, release,
          caller.toDeliveryOptions(), calls.policy().timeoutMs()));
    }
  }

  void close() {
    calls.close();
  }
}
