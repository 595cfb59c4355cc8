package fincloud.accounts;

import fincloud.bus.ServiceConsumers;
import fincloud.idempotency.IdempotencyRecords;
import fincloud.outbox.AuditAction;
import fincloud.outbox.AuditEvent;
import fincloud.outbox.AuditOutbox;
import fincloud.privacy.CustomerFields;
import fincloud.privacy.DataKey;
import fincloud.privacy.DataKeys;
import fincloud.privacy.PrivacySettings;
import fincloud.shared.AccountStatus;
import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.DatabasePool;
import fincloud.shared.ErrorCode;
import fincloud.shared.Ids;
import fincloud.shared.Page;
import fincloud.shared.PoolSettings;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.util.List;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accounts service: opens accounts, changes their status, and serves balances, statements and
 * the trial balance. Money moves only through payments' ledger writer.
 */
public class AccountsVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AccountsVerticle.class);
  private final PoolSettings database;
  private final PrivacySettings privacy;
  private Pool pool;
  private ServiceConsumers consumers;
  private DataKeys keys;
  private PlainFieldsBackfill backfill;
  private long rewrapTimer;
  private boolean rewrapping;
  private boolean backfilling;
  private volatile boolean stopping;

  public AccountsVerticle(PoolSettings database, PrivacySettings privacy) {
    this.database = database;
    this.privacy = privacy;
  }

  @Override
  public Future<?> start() {
    pool = DatabasePool.create(vertx, database);
    consumers = new ServiceConsumers(vertx);
    keys = new DataKeys(vertx, privacy);
    backfill = new PlainFieldsBackfill(pool, keys, privacy.rewrapBatch());
    rewrapTimer = vertx.setPeriodic(privacy.rewrapIntervalMs(), id -> {
      rewrapRound();
      backfillRounds();
    });
    return Future.all(List.of(
        on(Addresses.ACCOUNTS_OPEN, this::open),
        on(Addresses.ACCOUNTS_GET, this::get),
        on(Addresses.ACCOUNTS_LIST, (caller, request) -> AccountRepository.list(pool, caller.tenant(),
            Page.from(request.getJsonObject("query"))).map(Answer::ok)),
        on(Addresses.ACCOUNTS_ERASE, this::erase),
        on(Addresses.ACCOUNTS_ENTRIES, this::entries),
        on(Addresses.ACCOUNTS_FREEZE, (caller, request) -> change(caller, request, AccountLifecycle.FREEZE)),
        on(Addresses.ACCOUNTS_UNFREEZE, (caller, request) -> change(caller, request, AccountLifecycle.UNFREEZE)),
        on(Addresses.ACCOUNTS_CLOSE, (caller, request) -> change(caller, request, AccountLifecycle.CLOSE)),
        on(Addresses.LEDGER_TRIAL_BALANCE, this::trialBalance)));
  }

  /** Stops taking requests first (consumers unregistered), then finishes those it has. */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(rewrapTimer);
    return consumers.stopAndDrain();
  }

  /** Every answer leaves with its customer fields in clear: the database and the kept answers hold them sealed. */
  private Future<Void> on(String address, BiFunction<RequestContext, JsonObject, Future<Answer>> operation) {
    return consumers.on(address, (caller, request) -> operation.apply(caller, request).compose(this::reveal));
  }

  private Future<Answer> reveal(Answer answer) {
    return keys.reveal(pool, answer.body()).map(body -> new Answer(answer.status(), body, answer.replayed()));
  }

  /** One bounded round moving data keys to the active key-encryption key (a rotation); rounds never overlap. */
  private void rewrapRound() {
    if (rewrapping) {
      return;
    }
    rewrapping = true;
    keys.rewrapRound(pool, privacy.rewrapBatch())
        .onSuccess(moved -> {
          if (moved > 0) {
            LOG.info("rewrapped {} data keys with the active key-encryption key", moved);
          }
        })
        .onFailure(failure -> LOG.warn("rewrapping data keys failed: {}", failure.getMessage()))
        .onComplete(done -> rewrapping = false);
  }

  /**
   * Seals what an older version left in clear ({@link PlainFieldsBackfill}), round after round
   * until there is nothing left; once done, a look costs one probe of an empty index per table.
   */
  private void backfillRounds() {
    if (backfilling) {
      return;
    }
    backfilling = true;
    backfill.drain(() -> stopping)
        .onSuccess(sealed -> {
          if (sealed > 0) {
            LOG.info("sealed the customer fields of {} rows written before encryption", sealed);
          }
        })
        .onFailure(failure -> LOG.warn("sealing rows written before encryption failed: {}", failure.getMessage()))
        .onComplete(done -> backfilling = false);
  }

  private Future<Answer> open(RequestContext caller, JsonObject request) {
    JsonObject body = request.getJsonObject("body");
    // Credit is the tenant's decision, not a teller's: a teller could otherwise open an account
    // with an unlimited overdraft and move money out of it.
    if (body.getBoolean("allowNegative", false) && !caller.hasScope("admin")) {
      return Future.succeededFuture(Answer.problem(ErrorCode.FORBIDDEN,
          "allowNegative accounts need the admin scope", caller.requestId()));
    }
    if (body.getLong("overdraftLimit", 0L) > 0 && !caller.hasScope("admin")) {
      return Future.succeededFuture(Answer.problem(ErrorCode.FORBIDDEN,
          "an overdraftLimit above 0 needs the admin scope", caller.requestId()));
    }
    String id = Ids.account();
    return pool.withTransaction(tx -> IdempotencyRecords.once(tx, caller, () -> keys.create(tx, id).compose(key ->
        AccountRepository.insert(tx, id, caller.tenant(), sealed(key, body))).compose(account ->
            AuditOutbox.write(tx, List.of(AuditEvent.of(caller, AuditAction.ACCOUNT_OPENED, "account",
                    account.getString("id"), true, account)))
                .map(Answer.created(account)))));
  }

  /** The request with its customer fields sealed with the account's key, as the row keeps them. */
  private static JsonObject sealed(DataKey key, JsonObject body) {
    return body.copy()
        .put("ownerRef", CustomerFields.sealText(key, "ownerRef", body.getString("ownerRef")))
        .put("metadata", CustomerFields.sealMetadata(key, body.getJsonObject("metadata")));
  }

  /**
   * Crypto-shredding: the account's data key is destroyed, so that its customer fields, and those
   * of the transfers it debited, can never be read again from any table, copy or audit record;
   * money, entries and the audit chain are untouched. Erasing an erased account changes nothing.
   */
  private Future<Answer> erase(RequestContext caller, JsonObject request) {
    String id = id(request);
    return pool.withTransaction(tx -> IdempotencyRecords.once(tx, caller, () ->
        AccountRepository.lock(tx, id, caller.tenant()).compose(account -> {
          if (account == null) {
            return Future.succeededFuture(notFound(caller, id));
          }
          if (account.getBoolean("erased", false)) {
            return Future.succeededFuture(Answer.ok(account));
          }
          // transfers written before encryption hold their fields in clear: shredded here too
          return keys.destroy(tx, id).compose(fresh -> PlainFieldsBackfill.shredDebits(tx, id))
              .compose(shredded -> AccountRepository.erase(tx, id)).compose(erased ->
              AuditOutbox.write(tx, List.of(AuditEvent.of(caller, AuditAction.ACCOUNT_ERASED, "account", id, true,
                      new JsonObject().put("erased", true))))
                  .map(Answer.ok(erased)));
        })))
        .andThen(done -> keys.forgetEverywhere(id));
  }

  private Future<Answer> get(RequestContext caller, JsonObject request) {
    return AccountRepository.find(pool, id(request), caller.tenant())
        .map(account -> account == null ? notFound(caller, id(request)) : Answer.ok(account));
  }

  private Future<Answer> entries(RequestContext caller, JsonObject request) {
    Page page = Page.from(request.getJsonObject("query"));
    if (!isEntryPosition(page.after())) {
      return Future.succeededFuture(Answer.problem(ErrorCode.VALIDATION_FAILED,
          "cursor is not one this list gave", caller.requestId(), new JsonObject().put("field", "cursor")));
    }
    return AccountRepository.find(pool, id(request), caller.tenant()).compose(account -> account == null
        ? Future.succeededFuture(notFound(caller, id(request)))
        : AccountRepository.entries(pool, id(request), page).map(Answer::ok));
  }

  /** Statements page by entry number; a cursor of another list (an id) is the client's mistake. */
  private static boolean isEntryPosition(String after) {
    try {
      return after == null || Long.parseLong(after) >= 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private Future<Answer> change(RequestContext caller, JsonObject request, AccountLifecycle change) {
    String id = id(request);
    return pool.withTransaction(tx -> IdempotencyRecords.once(tx, caller, () ->
        AccountRepository.lock(tx, id, caller.tenant()).compose(account -> {
          if (account == null) {
            return refused(tx, caller, change, id, notFound(caller, id));
          }
          AccountStatus next;
          try {
            next = change.next(account);
          } catch (ServiceException refusal) {
            return refused(tx, caller, change, id, refusal.toAnswer(caller.requestId()));
          }
          if (next.name().equals(account.getString("status"))) {
            return Future.succeededFuture(Answer.ok(account));
          }
          return AccountRepository.setStatus(tx, id, next).compose(changed ->
              AuditOutbox.write(tx, List.of(AuditEvent.of(caller, change.auditAction(), "account", id, true,
                      new JsonObject().put("from", account.getString("status")).put("to", next.name()))))
                  .map(Answer.ok(changed)));
        })));
  }

  /** A refused change is audited too (success false), in the transaction that keeps its answer. */
  private static Future<Answer> refused(SqlClient tx, RequestContext caller, AccountLifecycle change, String id,
      Answer refusal) {
    return AuditOutbox.write(tx, List.of(AuditEvent.of(caller, change.auditAction(), "account", id, false,
            new JsonObject().put("code", refusal.code().name()).put("detail", refusal.body().getString("detail")))))
        .map(refusal);
  }

  private Future<Answer> trialBalance(RequestContext caller, JsonObject request) {
    return pool.getConnection().compose(connection -> connection
        .query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").execute()
        .compose(begun -> connection.query("SELECT now() AS as_of").execute())
        .compose(asOf -> AccountRepository.trialBalance(connection, caller.tenant()).map(lines ->
            new JsonObject()
                .put("asOf", fincloud.shared.Timestamps.format(asOf.iterator().next().getOffsetDateTime("as_of")))
                .put("currencies", lines)))
        .eventually(() -> connection.query("ROLLBACK").execute().eventually(connection::close))
        .map(Answer::ok));
  }

  private static String id(JsonObject request) {
    return request.getJsonObject("path").getString("id");
  }

  private static Answer notFound(RequestContext caller, String id) {
    return Answer.problem(ErrorCode.NOT_FOUND, "no account " + id, caller.requestId());
  }
}
