package fincloud.payments;

import io.vertx.sqlclient.Row;

/** An account row as the ledger writer holds it, locked, while it applies a group of commands. */
final class AccountState {
  final String id;
  final String tenant;
  final String currency;
  final String status;
  final long overdraftLimit;
  final boolean allowNegative;
  final long createdAtEpochSecond;
  long posted;
  long pending;
  boolean changed;

  AccountState(String id, String tenant, String currency, String status, long overdraftLimit,
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
        row.getString("status"), row.getLong("overdraft_limit"), row.getBoolean("allow_negative"),
        row.getLong("posted"), row.getLong("pending"), row.getOffsetDateTime("created_at").toEpochSecond());
  }

  boolean active() {
    return status.equals("ACTIVE");
  }

  long available() {
    return posted - pending;
  }

  /** docs/contract.md, Money: a debit is refused when available - amount < -overdraftLimit, unless allowNegative. */
  boolean canDebit(long amount) {
    return allowNegative || available() - amount >= -overdraftLimit;
  }

  long[] snapshot() {
    return new long[] {posted, pending};
  }

  void restore(long[] snapshot) {
    posted = snapshot[0];
    pending = snapshot[1];
  }
}
