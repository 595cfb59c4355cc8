package fincloud.payments;

import fincloud.shared.AccountStatus;
import io.vertx.sqlclient.Row;

/** An account row as the ledger writer holds it, locked, while it applies a group of commands. */
final class AccountState {
  final String id;
  final String tenant;
  final String currency;
  final AccountStatus status;
  final long overdraftLimit;
  final boolean allowNegative;
  final long createdAtEpochSecond;
  long posted;
  long pending;
  boolean changed;
  /** The balances as the group found them, kept at the first change for the invariant check. */
  private long openingPosted;
  private long openingPending;

  AccountState(String id, String tenant, String currency, AccountStatus status, long overdraftLimit,
      boolean allowNegative, long posted, long pending, long createdAtEpochSecond) {
    this.id = id;
    this.tenant = tenant;
    this.currency = currency;
    this.status = status;
    this.overdraftLimit = overdraftLimit;
    this.allowNegative = allowNegative;
    this.posted = posted;
    this.pending = pending;
    this.createdAtEpochSecond = createdAtEpochSecond;
  }

  static AccountState from(Row row) {
    return new AccountState(row.getString("id"), row.getString("tenant"), row.getString("currency"),
        AccountStatus.of(row.getString("status")), row.getLong("overdraft_limit"), row.getBoolean("allow_negative"),
        row.getLong("posted"), row.getLong("pending"), row.getOffsetDateTime("created_at").toEpochSecond());
  }

  boolean active() {
    return status == AccountStatus.ACTIVE;
  }

  long available() {
    return posted - pending;
  }

  /** docs/contract.md, Money: a debit is refused when available - amount < -overdraftLimit, unless allowNegative. */
  boolean canDebit(long amount) {
    return allowNegative || available() - amount >= -overdraftLimit;
  }

  /** Whether available is at or above -overdraftLimit, or the account allows negative balances. */
  boolean withinLimit() {
    return allowNegative || available() >= -overdraftLimit;
  }

  void hold(long amount) {
    changing();
    pending += amount;
  }

  /** The hold of a transfer posted or voided. */
  void release(long amount) {
    changing();
    pending -= amount;
  }

  void debit(long amount) {
    changing();
    posted -= amount;
  }

  void credit(long amount) {
    changing();
    posted += amount;
  }

  /** How much this group changed posted (0 for an account it did not change). */
  long postedChange() {
    return changed ? posted - openingPosted : 0;
  }

  /** How much this group changed pending (0 for an account it did not change). */
  long pendingChange() {
    return changed ? pending - openingPending : 0;
  }

  private void changing() {
    if (!changed) {
      openingPosted = posted;
      openingPending = pending;
      changed = true;
    }
  }

  long[] snapshot() {
    return new long[] {posted, pending};
  }

  void restore(long[] snapshot) {
    posted = snapshot[0];
    pending = snapshot[1];
  }
}
