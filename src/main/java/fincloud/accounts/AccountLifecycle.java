package fincloud.accounts;

import fincloud.outbox.AuditAction;
import fincloud.shared.AccountStatus;
import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.json.JsonObject;

/**
 * The status rules of an account: ACTIVE and FROZEN move into each other, anything but CLOSED can
 * be closed once nothing is posted or held, and CLOSED is final. A change to the status the
 * account already has changes nothing and succeeds.
 */
public enum AccountLifecycle {
  FREEZE(AuditAction.ACCOUNT_FROZEN), UNFREEZE(AuditAction.ACCOUNT_UNFROZEN), CLOSE(AuditAction.ACCOUNT_CLOSED);

  private final AuditAction auditAction;

  AccountLifecycle(AuditAction auditAction) {
    this.auditAction = auditAction;
  }

  public AuditAction auditAction() {
    return auditAction;
  }

  /**
   * The status the account moves to, the status it has when nothing changes, or a refusal.
   *
   * @throws ServiceException INVALID_STATE or BALANCE_NOT_ZERO
   */
  public AccountStatus next(JsonObject account) {
    AccountStatus status = AccountStatus.of(account.getString("status"));
    JsonObject balance = account.getJsonObject("balance");
    return switch (this) {
      case FREEZE -> requireOpen(status, AccountStatus.FROZEN);
      case UNFREEZE -> requireOpen(status, AccountStatus.ACTIVE);
      case CLOSE -> {
        if (status == AccountStatus.CLOSED) {
          yield AccountStatus.CLOSED;
        }
        if (balance.getLong("posted") != 0 || balance.getLong("pending") != 0) {
          throw new ServiceException(ErrorCode.BALANCE_NOT_ZERO,
              "an account can be closed only with posted and pending balances of zero");
        }
        yield AccountStatus.CLOSED;
      }
    };
  }

  private static AccountStatus requireOpen(AccountStatus status, AccountStatus target) {
    if (status == AccountStatus.CLOSED) {
      throw new ServiceException(ErrorCode.INVALID_STATE, "a closed account cannot be frozen or unfrozen");
    }
    return target;
  }
}
