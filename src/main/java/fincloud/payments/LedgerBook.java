package fincloud.payments;

import fincloud.idempotency.IdempotencyRecords.Key;
import fincloud.idempotency.IdempotencyRecords.Stored;
import fincloud.idempotency.IdempotencyRecords;
import fincloud.outbox.AuditAction;
import fincloud.outbox.AuditEvent;
import fincloud.payments.LedgerCommand.Create;
import fincloud.payments.LedgerCommand.Expire;
import fincloud.payments.LedgerCommand.Refusal;
import fincloud.payments.LedgerCommand.Settle;
import fincloud.payments.Rejections.Rejection;
import fincloud.shared.Answer;
import fincloud.shared.Ids;
import fincloud.shared.RequestContext;
import fincloud.shared.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides a group of ledger commands against the locked rows, in memory and in order, and collects
 * the rows to write. It does no I/O: the ledger writer loads its inputs and writes its output in
 * one database transaction.
 *
 * <p>Invariants, per tenant and currency, that each apply keeps, that {@link #checkInvariants} asserts
 * once a group is decided (before anything is written), and that the schema re-checks:
 * <ul>
 *   <li>every posted amount is one debit entry and one credit entry of the same amount, so the sum
 *       of all posted balances is zero and entries are twice the posted transfers;</li>
 *   <li>pending of an account is the sum of the amounts of the PENDING transfers it is debited by;
 *       a PENDING transfer leaves that state once: posted (postedAmount at most its amount, the
 *       rest released) or voided (on request, or by the system once past expiresAt), and a caller
 *       can settle it only before expiresAt;</li>
 *   <li>no account's available balance (posted - pending) falls below -overdraftLimit by a debit
 *       or a hold, unless it allows negative balances;</li>
 *   <li>a command is all or nothing: the items of a batch are applied in order, each seeing the
 *       effects of those before it, and a refused item takes back the whole batch, which leaves
 *       no trace but its refusal;</li>
 *   <li>an Idempotency-Key takes effect once: a stored answer is replayed, never re-applied.</li>
 * </ul>
 */
final class LedgerBook {
  private static final String SYSTEM = "system";

  private final Map<String, AccountState> accounts;
  private final Map<String, TransferState> transfers;
  private final Map<Key, Stored> stored;
  private final Set<Key> inFlightElsewhere;
  private final Map<Key, Instant> fences;
  private final Instant now;

  private final List<TransferState> created = new ArrayList<>();
  private final Map<String, TransferState> updated = new LinkedHashMap<>();
  private final List<JsonObject> entries = new ArrayList<>();
  private final List<AuditEvent> audit = new ArrayList<>();
  private final Map<Key, Stored> newRecords = new LinkedHashMap<>();

  LedgerBook(Map<String, AccountState> accounts, Map<String, TransferState> transfers,
      Map<Key, Stored> stored, Set<Key> inFlightElsewhere, Map<Key, Instant> fences, Instant now) {
    this.accounts = accounts;
    this.transfers = transfers;
    this.stored = stored;
    this.inFlightElsewhere = inFlightElsewhere;
    this.fences = fences;
    this.now = now;
  }

  /** The answer to one command; null for system work that found nothing to do. */
  Answer apply(LedgerCommand command) {
    RequestContext caller = command.caller();
    if (caller == null || caller.idempotencyKey() == null) {
      return decide(command);
    }
    Key key = new Key(caller.tenant(), caller.idempotencyKey());
    if (inFlightElsewhere.contains(key)) {
      return IdempotencyRecords.inFlight(caller);
    }
    Stored prior = newRecords.containsKey(key) ? newRecords.get(key) : stored.get(key);
    if (prior != null) {
      return prior.replayFor(caller);
    }
    if (command instanceof Create && IdempotencyRecords.overtaken(caller, fences.get(key))) {
      return IdempotencyRecords.superseded(caller);
    }
    Answer answer = decide(command);
    if (IdempotencyRecords.isStored(answer)) {
      newRecords.put(key, new Stored(caller.requestHash(), answer));
    }
    return answer;
  }

  private Answer decide(LedgerCommand command) {
    if (command instanceof Create create) {
      return create(create);
    }
    if (command instanceof Settle settle) {
      return settle(settle);
    }
    return expire((Expire) command);
  }

  private Answer create(Create command) {
    Unit unit = new Unit();
    JsonArray made = new JsonArray();
    for (int i = 0; i < command.items().size(); i++) {
      Refusal refusal = command.refusal() != null && command.refusal().index() == i
          ? command.refusal() : check(command.caller(), command.items().get(i), i);
      if (refusal != null) {
        unit.undo();
        return refuse(command, refusal);
      }
      made.add(unit.move(command.caller(), command.items().get(i)).toJson());
    }
    unit.keep();
    return Answer.created(command.batch() ? new JsonObject().put("transfers", made) : made.getJsonObject(0));
  }

  private Refusal check(RequestContext caller, TransferItem item, int index) {
    AccountState debit = accounts.get(item.debitAccountId());
    AccountState credit = accounts.get(item.creditAccountId());
    if (debit == null || !debit.tenant.equals(caller.tenant())) {
      return Rejections.unknownAccount(index, item.debitAccountId());
    }
    if (credit == null || !credit.tenant.equals(caller.tenant())) {
      return Rejections.unknownAccount(index, item.creditAccountId());
    }
    if (!debit.active() || !credit.active()) {
      return Rejections.notActive(index, debit.active() ? credit : debit);
    }
    if (!debit.canDebit(item.amount())) {
      return Rejections.insufficientFunds(index, debit);
    }
    if (!fits(debit, credit, item.amount())) {
      return Rejections.overflow(index);
    }
    return null;
  }

  /** Whether moving {@code amount} (held or posted) keeps every balance of the two within a long. */
  private static boolean fits(AccountState debit, AccountState credit, long amount) {
    try {
      Math.subtractExact(Math.subtractExact(debit.posted, debit.pending), amount);
      Math.addExact(debit.pending, amount);
      Math.addExact(credit.posted, amount);
      return true;
    } catch (ArithmeticException overflow) {
      return false;
    }
  }

  private Answer refuse(Create command, Refusal refusal) {
    Rejection rejection = Rejections.of(command.caller(), command.items(), command.batch(), refusal);
    audit.add(rejection.audit());
    return rejection.answer();
  }

  private Answer settle(Settle command) {
    RequestContext caller = command.caller();
    TransferState t = transfers.get(command.transferId());
    if (t == null || !t.tenant.equals(caller.tenant())) {
      return refuse(command, Rejections.unknownTransfer(command.transferId()));
    }
    if (t.status != TransferStatus.PENDING || t.expired(now)) {
      return refuse(command, Rejections.notSettleable(t));
    }
    if (t.inReview() && !caller.hasScope("risk:admin")) {
      return refuse(command, Rejections.heldForReview());
    }
    return command.post() ? post(command, t, command.amount() == null ? t.amount : command.amount())
        : Answer.ok(release(caller, t, VoidReason.REQUESTED).toJson());
  }

  /** A refused settlement is audited too, in the group's transaction. */
  private Answer refuse(Settle command, Refusal refusal) {
    Rejection rejection = Rejections.ofSettlement(command.caller(), command.transferId(), command.post(), refusal);
    audit.add(rejection.audit());
    return rejection.answer();
  }

  private Answer post(Settle command, TransferState t, long amount) {
    RequestContext caller = command.caller();
    if (amount > t.amount) {
      return refuse(command, Rejections.moreThanHeld(amount, t));
    }
    AccountState debit = accounts.get(t.debitAccountId);
    AccountState credit = accounts.get(t.creditAccountId);
    if (!debit.active() || !credit.active()) {
      return refuse(command, Rejections.notActive(0, debit.active() ? credit : debit));
    }
    if (!fits(debit, credit, amount)) {
      return refuse(command, Rejections.overflow(0));
    }
    debit.release(t.amount);
    t.status = TransferStatus.POSTED;
    t.postedAmount = amount;
    t.postedAt = now;
    postEntries(t, debit, credit, amount);
    updated.put(t.id, t);
    audit.add(AuditEvent.of(caller, AuditAction.TRANSFER_POSTED, "transfer", t.id, true, t.toJson()));
    return Answer.ok(t.toJson());
  }

  private TransferState release(RequestContext caller, TransferState t, VoidReason reason) {
    accounts.get(t.debitAccountId).release(t.amount);
    t.status = TransferStatus.VOIDED;
    t.voidReason = reason;
    updated.put(t.id, t);
    audit.add(AuditEvent.of(caller, AuditAction.TRANSFER_VOIDED, "transfer", t.id, true, t.toJson()));
    return t;
  }

  private Answer expire(Expire command) {
    TransferState t = transfers.get(command.transferId());
    if (t == null || t.status != TransferStatus.PENDING || !t.expired(now)) {
      return null;
    }
    RequestContext system = new RequestContext(null, t.tenant, SYSTEM, Set.of(), null, null, null, 0L);
    return Answer.ok(release(system, t, VoidReason.EXPIRED).toJson());
  }

  private void postEntries(TransferState t, AccountState debit, AccountState credit, long amount) {
    debit.debit(amount);
    credit.credit(amount);
    entries.add(entry(debit, t.id, EntrySide.DEBIT, amount));
    entries.add(entry(credit, t.id, EntrySide.CREDIT, amount));
  }

  private JsonObject entry(AccountState account, String transferId, EntrySide side, long amount) {
    return new JsonObject().put("account_id", account.id).put("transfer_id", transferId).put("side", side.name())
        .put("amount", amount).put("balance_after", account.posted).put("posted_at", Timestamps.format(now));
  }

  /**
   * The effects of one command while it is being applied, so that a refusal part-way through a
   * batch can take them all back.
   */
  private final class Unit {
    private final Map<AccountState, long[]> before = new IdentityHashMap<>();
    private final int createdMark = created.size();
    private final int entriesMark = entries.size();
    private final int auditMark = audit.size();

    TransferState move(RequestContext caller, TransferItem item) {
      AccountState debit = accounts.get(item.debitAccountId());
      AccountState credit = accounts.get(item.creditAccountId());
      before.putIfAbsent(debit, debit.snapshot());
      before.putIfAbsent(credit, credit.snapshot());
      TransferState t = new TransferState(Ids.transfer(), caller.tenant(), debit.id, credit.id,
          item.amount(), item.currency(), item.mode(), item.reference(), item.metadata(), item.risk(), now,
          item.holds() ? now.plusSeconds(item.holdSeconds()) : null,
          item.holds() ? TransferStatus.PENDING : TransferStatus.POSTED);
      if (item.holds()) {
        debit.hold(item.amount());
      } else {
        t.postedAmount = item.amount();
        t.postedAt = now;
        postEntries(t, debit, credit, item.amount());
      }
      created.add(t);
      audit.add(AuditEvent.of(caller, item.holds() ? AuditAction.TRANSFER_PENDING : AuditAction.TRANSFER_POSTED,
          "transfer", t.id, true, t.toJson()));
      return t;
    }

    void undo() {
      before.forEach(AccountState::restore);
      created.subList(createdMark, created.size()).clear();
      entries.subList(entriesMark, entries.size()).clear();
      audit.subList(auditMark, audit.size()).clear();
    }

    void keep() {
      before.clear();
    }
  }

  /**
   * Asserts the invariants above on the group decided so far: call it once every command of the
   * group is applied, before the group is written.
   *
   * @throws BrokenInvariant when a decision broke one: a bug, which must fail the group
   */
  void checkInvariants() {
    LedgerInvariants.check(accounts, created, updated.values(), entries);
  }

  List<TransferState> created() {
    return created;
  }

  List<TransferState> updated() {
    return new ArrayList<>(updated.values());
  }

  List<JsonObject> entries() {
    return entries;
  }

  List<AccountState> changedAccounts() {
    return accounts.values().stream().filter(a -> a.changed).toList();
  }

  List<AuditEvent> audit() {
    return audit;
  }

  Map<Key, Stored> newRecords() {
    return newRecords;
  }
}
