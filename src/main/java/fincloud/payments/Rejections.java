package fincloud.payments;

import fincloud.outbox.AuditAction;
import fincloud.outbox.AuditEvent;
import fincloud.payments.LedgerCommand.Refusal;
import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.RequestContext;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * How payments words its refusals, one text per kind wherever the refusal is decided (before the
 * ledger on unlocked rows, in the ledger on locked ones, by the risk fallback), and what a refused
 * transfer or batch leaves: its problem answer and its TRANSFER_REJECTED audit event; a refused
 * post or void of a hold leaves a TRANSFER_POSTED or TRANSFER_VOIDED event with success false.
 */
final class Rejections {
  private Rejections() {
  }

  /** A refused transfer or batch: the answer to give and the event to audit with it. */
  record Rejection(Answer answer, AuditEvent audit) {
  }

  /**
   * The rejection of a create command at its refused item. The audit event names the item's debit
   * account and carries the code, the detail, the Idempotency-Key, the item, and the answer's extra
   * members ({@code index} in a batch, risk's {@code reasons}, {@code fallback}).
   */
  static Rejection of(RequestContext caller, List<TransferItem> items, boolean batch, Refusal refusal) {
    JsonObject extra = refusal.extra() == null ? new JsonObject() : refusal.extra().copy();
    if (batch) {
      extra.put("index", refusal.index());
    }
    TransferItem item = items.get(refusal.index());
    AuditEvent audit = AuditEvent.of(caller, AuditAction.TRANSFER_REJECTED, "account", item.debitAccountId(), false,
        new JsonObject().put("code", refusal.code().name()).put("idempotencyKey", caller.idempotencyKey())
            .put("detail", refusal.detail()).put("transfer", item.toJson()).mergeIn(extra));
    Answer answer = Answer.problem(refusal.code(), refusal.detail(), caller.requestId(),
        extra.isEmpty() ? null : extra);
    return new Rejection(answer, audit);
  }

  /**
   * A refused post or void of a hold: audited like a refused account change, as the action that
   * was refused with success false, naming the transfer and carrying the code, the detail and the
   * Idempotency-Key.
   */
  static Rejection ofSettlement(RequestContext caller, String transferId, boolean post, Refusal refusal) {
    Answer answer = answer(caller, refusal);
    AuditEvent audit = AuditEvent.of(caller, post ? AuditAction.TRANSFER_POSTED : AuditAction.TRANSFER_VOIDED,
        "transfer", transferId, false, new JsonObject().put("code", refusal.code().name())
            .put("detail", refusal.detail()).put("idempotencyKey", caller.idempotencyKey()));
    return new Rejection(answer, audit);
  }

  /** The answer to a refusal that is not audited here (a read of an unknown transfer). */
  static Answer answer(RequestContext caller, Refusal refusal) {
    return Answer.problem(refusal.code(), refusal.detail(), caller.requestId(), refusal.extra());
  }

  /** Another tenant's account counts as unknown. */
  static Refusal unknownAccount(int index, String accountId) {
    return new Refusal(index, ErrorCode.NOT_FOUND, "no account " + accountId, null);
  }

  static Refusal sameAccount(int index, String accountId) {
    return new Refusal(index, ErrorCode.SAME_ACCOUNT, "debit and credit account are both " + accountId, null);
  }

  static Refusal currencyMismatch(int index, String currency, AccountState debit, AccountState credit) {
    return new Refusal(index, ErrorCode.CURRENCY_MISMATCH, "the transfer is in " + currency
        + ", the accounts are in " + debit.currency + " and " + credit.currency, null);
  }

  static Refusal notActive(int index, AccountState account) {
    return new Refusal(index, ErrorCode.ACCOUNT_NOT_ACTIVE, "account " + account.id + " is " + account.status, null);
  }

  static Refusal insufficientFunds(int index, AccountState debit) {
    return new Refusal(index, ErrorCode.INSUFFICIENT_FUNDS,
        "account " + debit.id + " has " + debit.available() + " available", null);
  }

  static Refusal overflow(int index) {
    return new Refusal(index, ErrorCode.VALIDATION_FAILED, "the amount would overflow a balance", null);
  }

  /** Risk's refusal as the fallback makes it while risk is unavailable: the same reasons, marked. */
  static Refusal byFallback(Refusal declined) {
    JsonObject extra = declined.extra() == null ? new JsonObject() : declined.extra().copy();
    return new Refusal(declined.index(), ErrorCode.RISK_DECLINED,
        "risk scoring is unavailable; declined by the fallback, retry later", extra.put("fallback", true));
  }

  /** Another tenant's transfer counts as unknown. */
  static Refusal unknownTransfer(String transferId) {
    return new Refusal(0, ErrorCode.NOT_FOUND, "no transfer " + transferId, null);
  }

  /** A transfer that is no longer PENDING, or is past its expiry, can no longer be settled. */
  static Refusal notSettleable(TransferState transfer) {
    return new Refusal(0, ErrorCode.INVALID_STATE, "transfer " + transfer.id + " is " + transfer.status
        + (transfer.status == TransferStatus.PENDING ? " past its expiry" : ""), null);
  }

  static Refusal heldForReview() {
    return new Refusal(0, ErrorCode.FORBIDDEN, "a transfer held for risk review is settled by risk:admin", null);
  }

  static Refusal moreThanHeld(long amount, TransferState transfer) {
    return new Refusal(0, ErrorCode.VALIDATION_FAILED, "amount " + amount + " is more than the "
        + transfer.amount + " held", new JsonObject().put("field", "amount"));
  }
}
