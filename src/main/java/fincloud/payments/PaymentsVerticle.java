package fincloud.payments;

import fincloud.bus.ServiceConsumers;
import fincloud.bus.VelocitySlot;
import fincloud.idempotency.IdempotencyRecords.Key;
import fincloud.idempotency.IdempotencyRecords;
import fincloud.idempotency.IdempotencyRetention;
import fincloud.outbox.AuditOutbox;
import fincloud.payments.LedgerCommand.Create;
import fincloud.payments.LedgerCommand.Expire;
import fincloud.payments.LedgerCommand.Refusal;
import fincloud.payments.LedgerCommand.Settle;
import fincloud.payments.Rejections.Rejection;
import fincloud.privacy.CustomerFields;
import fincloud.privacy.DataKey;
import fincloud.privacy.DataKeys;
import fincloud.privacy.PrivacySettings;
import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.DatabasePool;
import fincloud.shared.Page;
import fincloud.shared.PoolSettings;
import fincloud.shared.RequestContext;
import fincloud.shared.StageTimes;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The payments service: checks a transfer, has risk score it, and hands it to the ledger writer;
 * settles and expires holds; serves transfers. One instance per node by default, so that one
 * writer gathers the node's transfers into groups; {@code ledger.instances} runs several, each
 * with its own writer, and what must be one per node is in {@link NodePayments}.
 */
public class PaymentsVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(PaymentsVerticle.class);

  private final LedgerSettings ledger;
  private final RiskClientSettings riskCalls;
  private final PoolSettings database;
  private final PrivacySettings privacy;
  private DataKeys keys;
  private Pool pool;
  private LedgerWriter writer;
  private ArrivalReads arrivals;
  private NodePayments node;
  private RiskClient risk;
  /** Keys whose request is between arrival and the ledger on this node (the database knows the rest). */
  private Set<Key> arriving;
  private boolean sweeping;
  private long sweepTimer;
  private boolean purging;
  private long purgeTimer;
  private ServiceConsumers consumers;
  private final Clock clock;

  /** @param clock decides when holds expire; a test moves it forward instead of waiting */
  public PaymentsVerticle(LedgerSettings ledger, RiskClientSettings riskCalls, PoolSettings database,
      PrivacySettings privacy, Clock clock) {
    this.ledger = ledger;
    this.privacy = privacy;
    this.riskCalls = riskCalls;
    this.database = database;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    pool = DatabasePool.create(vertx, database);
    keys = new DataKeys(vertx, privacy);
    node = NodePayments.join(vertx, riskCalls);
    risk = node.risk;
    arriving = node.arriving;
    writer = new LedgerWriter(pool, ledger.maxGroup(), ledger.maxInFlightGroups(), ledger.maxQueue(),
        node.metrics::committed, clock);
    node.metrics.watch(writer);
    arrivals = new ArrivalReads(pool);
    consumers = new ServiceConsumers(vertx);
    // every instance keeps the timers, only the node's housekeeper acts on them: once per node, and
    // taken over by another instance if that one leaves
    sweepTimer = vertx.setPeriodic(ledger.expiryIntervalMs(), id -> {
      if (node.housekeeper(this)) {
        sweepExpiredHolds();
      }
    });
    purgeTimer = vertx.setPeriodic(ledger.idempotencyPurgeIntervalMs(), id -> {
      if (node.housekeeper(this)) {
        purgeIdempotencyRecords();
      }
    });
    return Future.all(List.of(
        on(Addresses.TRANSFERS_CREATE, (caller, request) ->
            create(caller, List.of(TransferItem.from(request.getJsonObject("body"))), false)),
        on(Addresses.TRANSFERS_BATCH, (caller, request) -> create(caller, request.getJsonObject("body")
            .getJsonArray("transfers").stream().map(o -> TransferItem.from((JsonObject) o)).toList(), true)),
        on(Addresses.TRANSFERS_POST, (caller, request) -> writer.submit(new Settle(caller, id(request), true,
            request.getJsonObject("body").getLong("amount")))),
        on(Addresses.TRANSFERS_VOID, (caller, request) -> writer.submit(new Settle(caller, id(request), false, null))
            .andThen(voided -> giveBackSlot(id(request), voided))),
        on(Addresses.TRANSFERS_GET, this::get),
        on(Addresses.TRANSFERS_LIST, (caller, request) -> TransferRepository.list(pool, caller.tenant(),
            request.getJsonObject("query").getString("accountId"), Page.from(request.getJsonObject("query")))
            .map(Answer::ok))));
  }

  /** Stops taking requests first (consumers unregistered), then finishes those it has, then the writer. */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(purgeTimer);
    return consumers.stopAndDrain().transform(drained -> writer.close())
        .andThen(closed -> {
          node.metrics.unwatch(writer);
          node.leave(vertx, this);
        });
  }

  /** Every answer leaves with its customer fields in clear: the ledger and the kept answers hold them sealed. */
  private Future<Void> on(String address, BiFunction<RequestContext, JsonObject, Future<Answer>> operation) {
    return consumers.on(address, (caller, request) -> operation.apply(caller, request)
        .compose(answer -> reveal(caller, answer)));
  }

  private Future<Answer> reveal(RequestContext caller, Answer answer) {
    long started = System.nanoTime();
    return keys.reveal(pool, answer.body()).map(body -> {
      StageTimes.record(caller, "reveal", System.nanoTime() - started);
      return new Answer(answer.status(), body, answer.replayed());
    });
  }

  /**
   * The items with their reference and metadata sealed with the debit account's key, so that
   * erasing that account reaches them. An item whose debit account does not exist keeps no
   * customer fields: the ledger refuses it (NOT_FOUND) and keeps none of it.
   */
  private static List<TransferItem> sealed(List<TransferItem> items, Map<String, DataKey> byAccount) {
    return items.stream().map(item -> {
      DataKey key = byAccount.get(item.debitAccountId());
      return key == null ? item.withCustomerFields(null, new JsonObject())
          : item.withCustomerFields(CustomerFields.sealText(key, "reference", item.reference()),
              CustomerFields.sealMetadata(key, item.metadata()));
    }).toList();
  }

  private Future<Answer> get(RequestContext caller, JsonObject request) {
    return TransferRepository.find(pool, id(request), caller.tenant()).map(t -> t == null
        ? Rejections.answer(caller, Rejections.unknownTransfer(id(request)))
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
    // One read for both (a replay needs only the stored answer, a new request only the accounts),
    // gathered with the other requests arriving meanwhile, beside the debit accounts' data keys
    // that seal the customer fields.
    long started = System.nanoTime();
    Future<TransferRepository.Arrival> arrival = arrivals.read(key, accountIds(items));
    Future<Map<String, DataKey>> sealing = keys.forAccounts(pool,
        items.stream().map(TransferItem::debitAccountId).collect(java.util.stream.Collectors.toSet()));
    return Future.all(arrival, sealing)
        .andThen(read -> StageTimes.record(caller, "arrival", System.nanoTime() - started))
        .compose(read -> arrival.result().prior() != null
            ? Future.succeededFuture(arrival.result().prior().replayFor(caller))
            : checkScoreAndApply(caller, sealed(items, sealing.result()), batch, arrival.result().accounts()))
        .onComplete(done -> arriving.remove(key));
  }

  private Future<Answer> checkScoreAndApply(RequestContext caller, List<TransferItem> items, boolean batch,
      Map<String, AccountState> accounts) {
    Refusal refusal = TransferChecks.firstRefusal(caller, items, accounts);
    List<TransferItem> scored = items.subList(0, refusal == null ? items.size() : refusal.index());
    return risk.score(caller, scored, accounts, batch).compose(scores -> {
      Refusal declined = TransferChecks.firstRiskRefusal(scores.decisions(), batch);
      if (declined != null && scores.fallback()) {
        return refusedByFallback(caller, items, batch, declined);
      }
      List<TransferItem> withRisk = new ArrayList<>(items);
      List<VelocitySlot> unclaimed = new ArrayList<>(scores.reservations());
      for (int i = 0; i < scores.decisions().size(); i++) {
        TransferItem item = items.get(i);
        withRisk.set(i, item.withRisk(scores.decisions().get(i), claim(unclaimed, item)));
      }
      return writer.submit(new Create(caller, withRisk, batch, declined != null ? declined : refusal))
          .andThen(applied -> risk.settle(caller, scores, applied));
    });
  }

  /** The slot risk took for {@code item}: any one of those for its debit account and amount (they are alike). */
  private static VelocitySlot claim(List<VelocitySlot> unclaimed, TransferItem item) {
    for (int i = 0; i < unclaimed.size(); i++) {
      VelocitySlot slot = unclaimed.get(i);
      if (slot.accountId().equals(item.debitAccountId()) && slot.amount() == item.amount()) {
        return unclaimed.remove(i);
      }
    }
    return null;
  }

  private static Set<String> accountIds(List<TransferItem> items) {
    Set<String> ids = new LinkedHashSet<>();
    items.forEach(item -> {
      ids.add(item.debitAccountId());
      ids.add(item.creditAccountId());
    });
    return ids;
  }

  /**
   * Declined by the fallback while risk was unavailable: audited, but not kept for the key, so that
   * a retry once risk is back is decided afresh. Decided under the key's lock like the ledger's own
   * answers: a key that another attempt is committing answers 409, a decided key replays.
   */
  private Future<Answer> refusedByFallback(RequestContext caller, List<TransferItem> items, boolean batch,
      Refusal declined) {
    Rejection rejection = Rejections.of(caller, items, batch, Rejections.byFallback(declined));
    return pool.withTransaction(tx -> IdempotencyRecords.refuseUnkept(tx, caller, () ->
        AuditOutbox.write(tx, List.of(rejection.audit())).map(audited -> rejection.answer())));
  }

  /** One bounded round of the idempotency retention; a round still running is not overlapped. */
  private void purgeIdempotencyRecords() {
    if (purging) {
      return;
    }
    purging = true;
    pool.withTransaction(tx -> IdempotencyRetention.purge(tx, ledger.idempotencyRetentionDays()))
        .onSuccess(purged -> {
          if (purged > 0) {
            LOG.info("purged {} idempotency records and fences past their retention", purged);
          }
        })
        .onFailure(failure -> LOG.warn("idempotency purge failed: {}", failure.getMessage()))
        .onComplete(done -> purging = false);
  }

  /** Voids holds past their expiry; every node sweeps, the ledger's row locks make each void happen once. */
  private void sweepExpiredHolds() {
    if (sweeping) {
      return;
    }
    sweeping = true;
    TransferRepository.dueToExpire(pool, 500, clock.instant())
        .compose(ids -> Future.join(ids.stream().map(id -> writer.submit(new Expire(id))
            .andThen(expired -> giveBackSlot(id, expired))).toList()))
        .onFailure(failure -> LOG.warn("expiry sweep failed: {}", failure.getMessage()))
        .onComplete(done -> sweeping = false);
  }

  /**
   * A hold that this very command voided (not a replay, not a refusal, not an expiry found done)
   * gives its velocity slot back: the transfer it counted for will not happen. Best effort, like
   * every release: a lost one tightens a limit by one transfer for one window.
   */
  private void giveBackSlot(String transferId, AsyncResult<Answer> voided) {
    Answer answer = voided.succeeded() ? voided.result() : null;
    if (answer == null || answer.isProblem() || answer.replayed()) {
      return;
    }
    TransferRepository.heldSlot(pool, transferId)
        .onSuccess(held -> {
          if (held != null) {
            risk.release(held);
          }
        })
        .onFailure(failure -> LOG.warn("could not read the velocity slot of {}: {}", transferId, failure.getMessage()));
  }

  private static String id(JsonObject request) {
    return request.getJsonObject("path").getString("id");
  }
}
