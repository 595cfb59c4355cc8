package fincloud.shared;

/**
 * The status of an account, as the API and the accounts table spell it. Shared because the ledger
 * is one bounded context: accounts changes the status, payments refuses to move money of an
 * account that is not ACTIVE.
 */
public enum AccountStatus {
  ACTIVE, FROZEN, CLOSED;

  /** The status of a row or a JSON value (the table's CHECK admits only these three). */
  public static AccountStatus of(String text) {
    return valueOf(text);
  }
}
