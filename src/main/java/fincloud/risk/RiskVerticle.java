package fincloud.risk;

import fincloud.bus.BusReply;
import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.DatabasePool;
import fincloud.shared.NodeMetrics;
import fincloud.shared.RequestContext;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The risk service: scores each transfer on its way to the ledger against its tenant's rule set,
 * keeps the velocity windows in shared data, and serves and changes the rule sets.
 *
 * <p>Every instance holds each tenant's set in force in memory ({@link RuleSetCache}). A change is
 * installed at once by the instance that made it and published, with the rules, to all others;
 * each also checks the versions in the database every {@code rulesPollMs} (500 ms), so a lost
 * message delays a change by at most that, and an instance that cannot check for
 * {@code rulesMaxStaleMs} stops scoring (payments' fallback decides) rather than score with a
 * set that may be stale.
 */
public class RiskVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(RiskVerticle.class);
  /** The shared-data map of velocity windows, keyed {@code tenant/debitAccountId}. */
  static final String VELOCITY_MAP = "fincloud.risk.velocity";

  private Pool pool;
  private RuleSetCache ruleSets;
  private VelocityStore windows;
  private Timer scoring;
  private long pollTimer;

  @Override
  public Future<?> start() {
    JsonObject risk = config().getJsonObject("risk", new JsonObject());
    pool = DatabasePool.create(vertx, config(), "fincloud-risk", risk.getInteger("poolSize", 2));
    ruleSets = new RuleSetCache(pool, risk.getLong("rulesMaxStaleMs", 10_000L));
    scoring = Timer.builder(NodeMetrics.RISK_SCORING).description("Time risk takes to score one request")
        .register(NodeMetrics.registry());
    return vertx.sharedData().<String, String>getAsyncMap(VELOCITY_MAP)
        .compose(map -> {
          windows = new VelocityStore(map);
          return ruleSets.load();
        })
        .compose(loaded -> {
          pollTimer = vertx.setPeriodic(risk.getLong("rulesPollMs", 500L), id -> ruleSets.checkVersions());
          return Future.all(List.of(
              vertx.eventBus().<JsonObject>consumer(Addresses.RISK_SCORE, this::score).completion(),
              vertx.eventBus().<JsonObject>consumer(Addresses.RISK_RELEASE, m -> release(m.body())).completion(),
              vertx.eventBus().<JsonObject>consumer(Addresses.RISK_RULES_CHANGED, m -> ruleSets.install(
                  RuleSetRepository.Stored.fromJson(m.body()))).completion(),
              on(Addresses.RISK_RULES_GET, (caller, request) -> RuleSetRepository.current(pool, caller.tenant())
                  .map(stored -> Answer.ok(new RuleSet(stored.version(), RuleSetParser.parse(stored.toJson()))
                      .toJson()))),
              on(Addresses.RISK_RULES_PUT, this::replaceRules)));
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(pollTimer);
    return pool.close();
  }

  private Future<Void> on(String address, BiFunction<RequestContext, JsonObject, Future<Answer>> operation) {
    return vertx.eventBus().<JsonObject>consumer(address, message -> BusReply.answer(message,
        Future.succeededFuture(message).compose(m ->
            operation.apply(RequestContext.fromHeaders(m.headers()), m.body())))).completion();
  }

  // ---- scoring -------------------------------------------------------------------------------

  /** The decisions of one request, and the velocity slots taken for them. */
  private static final class Scoring {
    final JsonArray decisions = new JsonArray();
    final JsonArray reservations = new JsonArray();
    boolean refused;
  }

  private record Outcome(Decision decision, JsonObject reservation) {
  }

  /**
   * Scores the items in order. In a batch the first item that is not approved refuses the whole
   * batch, so the rest are not scored (and take no velocity slot).
   */
  private void score(Message<JsonObject> message) {
    long started = System.nanoTime();
    if (ruleSets.stale()) {
      message.fail(503, "the rule sets could not be checked for " + ruleSets.maxStaleMs()
          + " ms; not scoring with a set that may be stale");
      return;
    }
    JsonObject request = message.body();
    String tenant = request.getString("tenant");
    boolean batch = request.getBoolean("batch", false);
    RuleSet rules = ruleSets.get(tenant);
    Scoring result = new Scoring();
    Future<Void> chain = Future.succeededFuture();
    for (Object item : request.getJsonArray("items")) {
      ScoredTransfer transfer = ScoredTransfer.from((JsonObject) item);
      chain = chain.compose(previous -> result.refused ? Future.succeededFuture()
          : decide(tenant, rules, transfer).map(outcome -> {
            result.decisions.add(outcome.decision().toJson(rules.version()));
            if (outcome.reservation() != null) {
              result.reservations.add(outcome.reservation());
            }
            result.refused = batch && outcome.decision().verdict() != Decision.Verdict.APPROVE;
            return null;
          }));
    }
    chain.onSuccess(done -> message.reply(new JsonObject().put("decisions", result.decisions)
            .put("reservations", result.reservations)))
        .onFailure(failure -> {
          LOG.warn("scoring failed for tenant {}: {}", tenant, failure.getMessage());
          release(new JsonObject().put("tenant", tenant).put("reservations", result.reservations));
          message.fail(500, "risk scoring failed");
        })
        .onComplete(done -> scoring.record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
  }

  /**
   * The rules that need no shared state decide first; only when they do not decline already is the
   * debit account's window read, and, when the transfer may go ahead, a slot is taken in it in the
   * same compare-and-set, so that concurrent transfers cannot all squeeze under the limit.
   */
  private Future<Outcome> decide(String tenant, RuleSet rules, ScoredTransfer transfer) {
    Decision quick = rules.score(transfer, null, System.currentTimeMillis());
    if (quick.declined() || !rules.hasVelocity()) {
      return Future.succeededFuture(new Outcome(quick, null));
    }
    long width = rules.bucketSeconds();
    return windows.update(key(tenant, transfer.debitAccountId()), rules.windowTtlMs(), current -> {
      long now = System.currentTimeMillis();
      VelocityWindow window = VelocityWindow.parse(current);
      window.prune(rules.longestWindowSeconds(), now);
      Decision decision = rules.score(transfer, window, now);
      if (decision.declined()) {
        return new VelocityStore.Change<>(null, new Outcome(decision, null));
      }
      long start = window.add(now, width, transfer.amount());
      return new VelocityStore.Change<>(window.format(), new Outcome(decision, new JsonObject()
          .put("accountId", transfer.debitAccountId()).put("start", start).put("width", width)
          .put("amount", transfer.amount())));
    });
  }

  /** Gives back slots of transfers that the ledger did not make. Best effort: a lost one expires with its window. */
  private void release(JsonObject request) {
    String tenant = request.getString("tenant");
    long ttlMs = Math.max(60_000, ruleSets.get(tenant).windowTtlMs());
    for (Object o : request.getJsonArray("reservations", new JsonArray())) {
      JsonObject slot = (JsonObject) o;
      windows.update(key(tenant, slot.getString("accountId")), ttlMs, current -> {
        VelocityWindow window = VelocityWindow.parse(current);
        boolean removed = current != null
            && window.remove(slot.getLong("start"), slot.getLong("width"), slot.getLong("amount"));
        return new VelocityStore.Change<Void>(removed ? window.format() : null, null);
      }).onFailure(failure -> LOG.warn("could not release a velocity slot of {}: {}", slot.getString("accountId"),
          failure.getMessage()));
    }
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
      vertx.eventBus().publish(Addresses.RISK_RULES_CHANGED, stored.toJson().put("tenant", caller.tenant()));
      LOG.info("risk rules of {} are now version {}", caller.tenant(), stored.version());
      return Answer.ok(set.toJson());
    });
  }
}
