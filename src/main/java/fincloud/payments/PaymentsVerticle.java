package fincloud.payments;

import fincloud.payments.IdempotencyRecords.Key;
import fincloud.payments.LedgerCommand.Create;
import fincloud.payments.LedgerCommand.Expire;
import fincloud.payments.LedgerCommand.Refusal;
import fincloud.payments.LedgerCommand.Settle;
import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.DatabasePool;
import fincloud.shared.ErrorCode;
import fincloud.shared.Page;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceConsumers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The payments service: checks a transfer, has risk score it, and hands it to the ledger writer;
 * settles and expires holds; serves transfers. One instance per node, so that one writer gathers
 * the node's transfers into groups.
 */
public class PaymentsVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(PaymentsVerticle.class);

  private Pool pool;
  private LedgerWriter writer;
  private RiskClient risk;
  /** Keys whose request is between arrival and the ledger on this node (the database knows the rest). */
  private final Set<Key> arriving = new HashSet<>();
  private boolean sweeping;
  private long expiryTimer;
  private ServiceConsumers consumers;

  @Override
  public Future<?> start() {
    JsonObject ledger = config().getJsonObject("ledger", new JsonObject());
    pool = DatabasePool.create(vertx, config());
    writer = new LedgerWriter(pool, ledger.getInteger("maxGroup", 500), ledger.getInteger("maxInFlightGroups", 2),
        ledger.getInteger("maxQueue", 20_000), new LedgerMetrics(vertx)::committed);
    risk = new RiskClient(vertx, config().getJsonObject("risk", new JsonObject()).getLong("timeoutMs", 250L));
    consumers = new ServiceConsumers(vertx);
    expiryTimer = vertx.setPeriodic(ledger.getLong("expiryIntervalMs", 1000L), id -> sweepExpiredHolds());
    return Future.all(List.of(
        on(Addresses.TRANSFERS_CREATE, (caller, request) ->
            create(caller, List.of(TransferItem.from(request.getJsonObject("body"))), false)),
        on(Addresses.TRANSFERS_BATCH, (caller, request) -> create(caller, request.getJsonObject("body")
            .getJsonArray("transfers").stream().map(o -> TransferItem.from((JsonObject) o)).toList(), true)),
        on(Addresses.TRANSFERS_POST, (caller, request) -> writer.submit(new Settle(caller, id(request), true,
            request.getJsonObject("body").getLong("amount")))),
        on(Addresses.TRANSFERS_VOID, (caller, request) -> writer.submit(new Settle(caller, id(request), false, null))),
        on(Addresses.TRANSFERS_GET, this::get),
        on(Addresses.TRANSFERS_LIST, (caller, request) -> TransferRepository.list(pool, caller.tenant(),
            request.getJsonObject("query").getString("accountId"), Page.from(request.getJsonObject("query")))
            .map(Answer::ok))));
  }

  /** Stops taking requests first (consumers unregistered), then finishes those it has, then the writer. */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(expiryTimer);
    return consumers.stopAndDrain().transform(drained -> writer.close());
  }

  private Future<Void> on(String address, BiFunction<RequestContext, JsonObject, Future<Answer>> operation) {
    return consumers.on(address, operation);
  }

  private Future<Answer> get(RequestContext caller, JsonObject request) {
    return TransferRepository.find(pool, id(request), caller.tenant()).map(t -> t == null
        ? Answer.problem(ErrorCode.NOT_FOUND, "no transfer " + id(request), caller.requestId())
        : Answer.ok(t));
  }

  /**
   * A replayed key answers at once; a key already arriving on this node is in flight; otherwise
   * the checks, risk, and the ledger, which decides with the rows locked.
   */
  private Future<Answer> create(RequestContext caller, List<TransferItem> items, boolean batch) {
    Key key = new Key(caller.tenant(), caller.idempotencyKey());
    if (!arriving.add(key)) {
      return Future.succeededFuture(IdempotencyRecords.inFlight(caller));
    }
    return IdempotencyRecords.find(pool, Set.of(key))
        .compose(found -> found.containsKey(key)
            ? Future.succeededFuture(found.get(key).replayFor(caller))
            : checkScoreAndApply(caller, items, batch))
        .onComplete(done -> arriving.remove(key));
  }

  private Future<Answer> checkScoreAndApply(RequestContext caller, List<TransferItem> items, boolean batch) {
    Set<String> accountIds = new LinkedHashSet<>();
    items.forEach(item -> {
      accountIds.add(item.debitAccountId());
      accountIds.add(item.creditAccountId());
    });
    return TransferRepository.accounts(pool, accountIds).compose(accounts -> {
      Refusal refusal = TransferChecks.firstRefusal(caller, items, accounts);
      List<TransferItem> scored = items.subList(0, refusal == null ? items.size() : refusal.index());
      return risk.score(caller, scored, accounts)
          .compose(decisions -> {
            Refusal declined = TransferChecks.firstRiskRefusal(decisions, batch);
            List<TransferItem> withRisk = new java.util.ArrayList<>(items);
            for (int i = 0; i < decisions.size(); i++) {
              withRisk.set(i, items.get(i).withRisk(decisions.get(i)));
            }
            return writer.submit(new Create(caller, withRisk, batch, declined != null ? declined : refusal));
          }, riskDown -> riskUnavailable(caller, riskDown));
    });
  }

  /** Fail closed: without a risk decision no money moves, and the refusal is not kept for the key. */
  private Future<Answer> riskUnavailable(RequestContext caller, Throwable failure) {
    LOG.warn("risk unavailable for request {}: {}", caller.requestId(), failure.getMessage());
    return Future.succeededFuture(Answer.problem(ErrorCode.RISK_DECLINED,
        "risk scoring is unavailable; declined by the fail-closed fallback", caller.requestId(),
        new JsonObject().put("reasons", new io.vertx.core.json.JsonArray().add(new JsonObject()
            .put("ruleId", "fallback").put("type", "FALLBACK").put("message", "risk service unavailable")))));
  }

  /** Voids holds past their expiry; every node sweeps, the ledger's row locks make each void happen once. */
  private void sweepExpiredHolds() {
    if (sweeping) {
      return;
    }
    sweeping = true;
    TransferRepository.dueToExpire(pool, 500)
        .compose(ids -> Future.join(ids.stream().map(id -> writer.submit(new Expire(id))).toList()))
        .onFailure(failure -> LOG.warn("expiry sweep failed: {}", failure.getMessage()))
        .onComplete(done -> sweeping = false);
  }

  private static String id(JsonObject request) {
    return request.getJsonObject("path").getString("id");
  }
}
