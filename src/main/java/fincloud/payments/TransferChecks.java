package fincloud.payments;

import fincloud.bus.Decision;
import fincloud.bus.RiskScore;
import fincloud.payments.LedgerCommand.Refusal;
import fincloud.shared.ErrorCode;
import fincloud.shared.RequestContext;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * The refusals decided before risk and the ledger, in docs/contract.md's Refusal order: unknown account (another
 * tenant's counts as unknown), same account, currency, account status.
 */
final class TransferChecks {
  private TransferChecks() {
  }

  /** The first refused item, or null when every item passes. */
  static Refusal firstRefusal(RequestContext caller, List<TransferItem> items, Map<String, AccountState> accounts) {
    for (int i = 0; i < items.size(); i++) {
      Refusal refusal = check(caller, items.get(i), accounts, i);
      if (refusal != null) {
        return refusal;
      }
    }
    return null;
  }

  private static Refusal check(RequestContext caller, TransferItem item, Map<String, AccountState> accounts, int i) {
    AccountState debit = visible(accounts.get(item.debitAccountId()), caller);
    AccountState credit = visible(accounts.get(item.creditAccountId()), caller);
    if (debit == null || credit == null) {
      return Rejections.unknownAccount(i, debit == null ? item.debitAccountId() : item.creditAccountId());
    }
    if (debit.id.equals(credit.id)) {
      return Rejections.sameAccount(i, debit.id);
    }
    if (!debit.currency.equals(item.currency()) || !credit.currency.equals(item.currency())) {
      return Rejections.currencyMismatch(i, item.currency(), debit, credit);
    }
    if (!debit.active() || !credit.active()) {
      return Rejections.notActive(i, debit.active() ? credit : debit);
    }
    return null;
  }

  /** The first item that risk declines (or, in a batch, sends to review), or null. */
  static Refusal firstRiskRefusal(List<RiskScore> decisions, boolean batch) {
    for (int i = 0; i < decisions.size(); i++) {
      RiskScore score = decisions.get(i);
      boolean review = batch && score.decision() == Decision.REVIEW;
      if (score.declined() || review) {
        return new Refusal(i, ErrorCode.RISK_DECLINED, review
            ? "the transfer needs a risk review, which a batch cannot wait for" : "declined by risk rules",
            new JsonObject().put("reasons", score.reasonsJson()));
      }
    }
    return null;
  }

  private static AccountState visible(AccountState account, RequestContext caller) {
    return account != null && account.tenant.equals(caller.tenant()) ? account : null;
  }
}
