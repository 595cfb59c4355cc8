package fincloud.accounts;

import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.json.JsonObject;

/**
 * The status rules of an account: ACTIVE and FROZEN move into each other, anything but CLOSED can
 * be closed once nothing is posted or held, and CLOSED is final. A change to the status the
 * account already has changes nothing and succeeds.
 */
public enum AccountLifecycle {
  FREEZE("ACCOUNT_FROZEN"), UNFREEZE("ACCOUNT_UNFROZEN"), CLOSE("ACCOUNT_CLOSED");

  private final String auditAction;

  AccountLifecycle(String auditAction) {
    this.auditAction = auditAction;
  }

  public String auditAction() {
    return auditAction;
  }

  /**
   * The status the account moves to, the status it has when nothing changes, or a refusal.
   *
   * @throws ServiceException INVALID_STATE or BALANCE_NOT_ZERO
   */
  public String next(JsonObject account) {
    String status = account.getString("status");
    JsonObject balance = account.getJsonObject("balance");
    return switch (this) {
      case FREEZE -> requireOpen(status, "FROZEN");
      case UNFREEZE -> requireOpen(status, "ACTIVE");
      case CLOSE -> {
        if (status.equals("CLOSED")) {
          yield "CLOSED";
        }
        if (balance.getLong("posted") != 0 || balance.getLong("pending") != 0) {
          throw new ServiceException(ErrorCode.BALANCE_NOT_ZERO,
              "an account can be closed only with posted and pending balances of zero");
        }
        yield "CLOSED";
      }
    };
  }

  private static String requireOpen(String status, String target) {
    if (status.equals("CLOSED")) {
      throw new ServiceException(ErrorCode.INVALID_STATE, "a closed account cannot be frozen or unfrozen");
    }
    return target;
  }
}
