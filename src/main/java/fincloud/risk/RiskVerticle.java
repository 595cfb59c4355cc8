package fincloud.risk;

import fincloud.bus.Decision;
import fincloud.bus.RiskScore;
import fincloud.bus.RiskScores;
import fincloud.bus.ScoreRequest;
import fincloud.bus.ScoredTransfer;
import fincloud.bus.CallerSeal;
import fincloud.bus.ServiceConsumers;
import fincloud.bus.VelocityRelease;
import fincloud.bus.VelocitySlot;
import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.DatabasePool;
import fincloud.shared.PoolSettings;
import fincloud.shared.ErrorCode;
import fincloud.shared.NodeMetrics;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The risk service: scores each transfer on its way to the ledger against its tenant's rule set,
 * keeps the velocity windows in shared data, and serves and changes the rule sets. It may run as
 * several instances per node ({@code risk.instances}): the windows are shared data changed by
 * compare-and-set, the sets in force are the node's ({@link RuleSetsInForce}).
 *
 * <p>Every node holds each tenant's set in force in memory ({@link RuleSetCache}). A change is
 * installed at once on the node whose instance made it and published to all others;
 * each also checks the versions in the database every {@code rulesPollMs} (500 ms), so a lost
 * message delays a change by at most that, and an instance that cannot check for
 * {@code rulesMaxStaleMs} stops scoring (payments' fallback decides) rather than score with a
 * set that may be stale; when it cannot check because no database server answers (a failover),
 * it keeps scoring with the sets it has for up to {@code rulesOutageMaxStaleMs} (see
 * {@link RuleSetCache}), so that an outage the ledger rides out is no reason to decline.
 */
public class RiskVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(RiskVerticle.class);
  /** The shared-data map of velocity windows, keyed {@code tenant/debitAccountId}. */
  static final String VELOCITY_MAP = "fincloud.risk.velocity";

  private final RiskSettings settings;
  private final PoolSettings database;
  private Pool pool;
  private RuleSetsInForce inForce;
  private RuleSetCache ruleSets;
  private VelocityStore windows;
  private Timer scoring;
  private long pollTimer;
  private ServiceConsumers consumers;

  public RiskVerticle(RiskSettings settings, PoolSettings database) {
    this.settings = settings;
    this.database = database;
  }

  @Override
  public Future<?> start() {
    pool = DatabasePool.create(vertx, database, "fincloud-risk", settings.poolSize());
    inForce = RuleSetsInForce.join(vertx);
    ruleSets = new RuleSetCache(inForce, pool, settings.rulesMaxStaleMs(),
        settings.rulesOutageMaxStaleMs());
    consumers = new ServiceConsumers(vertx);
    scoring = Timer.builder(NodeMetrics.RISK_SCORING).description("Time risk takes to score one request")
        .register(NodeMetrics.registry());
    return vertx.sharedData().<String, String>getAsyncMap(VELOCITY_MAP)
        .compose(map -> {
          windows = new VelocityStore(map);
          return ruleSets.load();
        })
        .compose(loaded -> {
          pollTimer = vertx.setPeriodic(settings.rulesPollMs(), id -> ruleSets.checkVersions());
          return Future.all(List.of(
              consumers.onRequest(Addresses.RISK_SCORE, request -> score(ScoreRequest.fromJson(request))
                  .map(RiskScores::toJson)),
              consumers.onMessage(Addresses.RISK_RELEASE, release -> release(VelocityRelease.fromJson(release))),
              // a hint to reload the tenant's set from the database, never rules or a version
              consumers.onMessage(Addresses.RISK_RULES_CHANGED, changed -> ruleSets.reload(changed.getString("tenant"))),
              consumers.on(Addresses.RISK_RULES_GET, (caller, request) -> RuleSetRepository.current(pool,
                      caller.tenant())
                  .map(stored -> Answer.ok(new RuleSet(stored.version(), RuleSetParser.parse(stored.toJson()))
                      .toJson()))),
              consumers.on(Addresses.RISK_RULES_PUT, this::replaceRules)));
        });
  }

  /** Stops taking requests first (consumers unregistered), then finishes those it has. */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(pollTimer);
    return consumers.stopAndDrain().transform(drained -> pool.close()).andThen(closed -> inForce.leave(vertx));
  }

  // ---- scoring -------------------------------------------------------------------------------

  /** The decisions of one request, and the velocity slots taken for them. */
  private static final class Scoring {
    final List<RiskScore> decisions = new ArrayList<>();
    final List<VelocitySlot> reservations = new ArrayList<>();
    boolean refused;
  }

  private record Outcome(RiskScore decision, VelocitySlot reservation) {
  }

  /**
   * Scores the items in order. In a batch the first item that is not approved refuses the whole
   * batch, so the rest are not scored (and take no velocity slot).
   */
  private Future<RiskScores> score(ScoreRequest request) {
    long started = System.nanoTime();
    if (ruleSets.stale()) {
      return Future.failedFuture(new ServiceException(ErrorCode.UNAVAILABLE, "the rule sets could not be checked for "
          + ruleSets.uncheckedMs() + " ms; not scoring with a set that may be stale"));
    }
    String tenant = request.tenant();
    RuleSet rules = ruleSets.get(tenant);
    Scoring result = new Scoring();
    Future<Void> chain = Future.succeededFuture();
    for (ScoredTransfer transfer : request.items()) {
      chain = chain.compose(previous -> result.refused ? Future.succeededFuture()
          : decide(tenant, rules, transfer).map(outcome -> {
            result.decisions.add(outcome.decision());
            if (outcome.reservation() != null) {
              result.reservations.add(outcome.reservation());
            }
            result.refused = request.batch() && outcome.decision().decision() != Decision.APPROVE;
            return null;
          }));
    }
    return chain.map(done -> new RiskScores(result.decisions, result.reservations))
        .recover(failure -> {
          LOG.warn("scoring failed for tenant {}: {}", tenant, failure.getMessage());
          release(new VelocityRelease(tenant, result.reservations));
          return Future.failedFuture("risk scoring failed");
        })
        .andThen(done -> scoring.record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
  }

  /**
   * The rules that need no shared state decide first; only when they do not decline already is the
   * debit account's window read, and, when the transfer may go ahead, a slot is taken in it in the
   * same compare-and-set, so that concurrent transfers cannot all squeeze under the limit.
   */
  private Future<Outcome> decide(String tenant, RuleSet rules, ScoredTransfer transfer) {
    RiskScore quick = rules.score(transfer, null, System.currentTimeMillis());
    if (quick.declined() || !rules.hasVelocity()) {
      return Future.succeededFuture(new Outcome(quick, null));
    }
    long width = rules.bucketSeconds();
    return windows.update(key(tenant, transfer.debitAccountId()), rules.windowTtlMs(), current -> {
      long now = System.currentTimeMillis();
      VelocityWindow window = VelocityWindow.parse(current);
      window.prune(rules.longestWindowSeconds(), now);
      RiskScore decision = rules.score(transfer, window, now);
      if (decision.declined()) {
        return new VelocityStore.Change<>(null, new Outcome(decision, null));
      }
      long start = window.add(now, width, transfer.amount());
      return new VelocityStore.Change<>(window.format(), new Outcome(decision,
          new VelocitySlot(transfer.debitAccountId(), start, width, transfer.amount())));
    });
  }

  /** Gives back slots of transfers that the ledger did not make. Best effort: a lost one expires with its window. */
  private Future<?> release(VelocityRelease request) {
    String tenant = request.tenant();
    long ttlMs = Math.max(60_000, ruleSets.get(tenant).windowTtlMs());
    return Future.join(request.reservations().stream().map(slot -> windows.update(key(tenant, slot.accountId()), ttlMs,
        current -> {
          VelocityWindow window = VelocityWindow.parse(current);
          boolean removed = current != null && window.remove(slot.start(), slot.width(), slot.amount());
          return new VelocityStore.Change<Void>(removed ? window.format() : null, null);
        }).onFailure(failure -> LOG.warn("could not release a velocity slot of {}: {}", slot.accountId(),
            failure.getMessage()))).toList());
  }

  private static String key(String tenant, String accountId) {
    return tenant + "/" + accountId;
  }

  // ---- rule sets -----------------------------------------------------------------------------

  private Future<Answer> replaceRules(RequestContext caller, JsonObject request) {
    List<RiskRule> rules = RuleSetParser.parse(request.getJsonObject("body"));
    JsonArray normalized = new JsonArray();
    rules.forEach(rule -> normalized.add(rule.toJson()));
    return RuleSetRepository.replace(pool, caller, normalized).map(stored -> {
      RuleSet set = new RuleSet(stored.version(), rules);
      ruleSets.install(caller.tenant(), set);
      JsonObject hint = new JsonObject().put("tenant", caller.tenant());
      vertx.eventBus().publish(Addresses.RISK_RULES_CHANGED, hint,
          CallerSeal.sealed(vertx, Addresses.RISK_RULES_CHANGED, hint, settings.rulesMaxStaleMs()));
      LOG.info("risk rules of {} are now version {}", caller.tenant(), stored.version());
      return Answer.ok(set.toJson());
    });
  }
}
