package fincloud.payments;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ledger's invariants, checked on what a group decided before it is written (plain checks,
 * not {@code assert}, which is off in production). The schema re-checks some of them row by row;
 * these also see what no single row shows: the two entries of a movement, the sum of a currency,
 * pending against the holds made and let go of.
 */
final class LedgerInvariants {
  private LedgerInvariants() {
  }

  /**
   * @param accounts the locked accounts, as the group leaves them
   * @param created the transfers the group made
   * @param updated the transfers the group settled or expired (each of them was PENDING)
   * @param entries the entries the group posted (rows of the entries table)
   * @throws BrokenInvariant at the first invariant broken
   */
  static void check(Map<String, AccountState> accounts, List<TransferState> created,
      Collection<TransferState> updated, List<JsonObject> entries) {
    List<TransferState> changed = new ArrayList<>(created);
    changed.addAll(updated);
    eachPostingIsOneDebitAndOneCredit(accounts, changed, entries);
    postedChangesAreTheEntries(accounts, entries);
    pendingChangesAreTheHolds(accounts, created, updated);
    balancesStayWithinLimits(accounts);
  }

  private static void eachPostingIsOneDebitAndOneCredit(Map<String, AccountState> accounts,
      List<TransferState> changed, List<JsonObject> entries) {
    Map<String, List<JsonObject>> byTransfer = new LinkedHashMap<>();
    entries.forEach(e -> byTransfer.computeIfAbsent(e.getString("transfer_id"), id -> new ArrayList<>()).add(e));
    for (TransferState t : changed) {
      List<JsonObject> its = byTransfer.remove(t.id);
      if (t.status == TransferStatus.POSTED) {
        require(isOnePair(t, its) && inCurrency(accounts, t), "transfer %s posted %s, not as one debit and one "
            + "credit entry of that amount between two distinct accounts in %s: %s", t.id, t.postedAmount,
            t.currency, its);
      } else {
        require(its == null, "transfer %s is %s but has entries %s", t.id, t.status, its);
      }
    }
    require(byTransfer.isEmpty(), "entries of transfers the group did not post: %s", byTransfer.keySet());
  }

  private static boolean isOnePair(TransferState t, List<JsonObject> its) {
    return its != null && its.size() == 2 && !t.debitAccountId.equals(t.creditAccountId)
        && its.stream().anyMatch(e -> is(e, EntrySide.DEBIT, t.debitAccountId, t.postedAmount))
        && its.stream().anyMatch(e -> is(e, EntrySide.CREDIT, t.creditAccountId, t.postedAmount));
  }

  private static boolean is(JsonObject entry, EntrySide side, String accountId, Long amount) {
    return side.name().equals(entry.getString("side")) && accountId.equals(entry.getString("account_id"))
        && amount != null && amount > 0 && amount.equals(entry.getLong("amount"));
  }

  private static boolean inCurrency(Map<String, AccountState> accounts, TransferState t) {
    AccountState debit = accounts.get(t.debitAccountId);
    AccountState credit = accounts.get(t.creditAccountId);
    return debit != null && credit != null && debit.currency.equals(t.currency) && credit.currency.equals(t.currency);
  }

  /** The posted balances of a currency sum to what they did, and each account moved by its entries. */
  private static void postedChangesAreTheEntries(Map<String, AccountState> accounts, List<JsonObject> entries) {
    Map<String, Long> byCurrency = new HashMap<>();
    accounts.values().forEach(a -> byCurrency.merge(a.currency, a.postedChange(), Long::sum));
    byCurrency.forEach((currency, sum) ->
        require(sum == 0, "the posted balances in %s changed by %d in sum, not 0", currency, sum));
    Map<String, Long> byEntries = new HashMap<>();
    for (JsonObject e : entries) {
      long amount = e.getLong("amount");
      byEntries.merge(e.getString("account_id"), EntrySide.DEBIT.name().equals(e.getString("side")) ? -amount
          : amount, Long::sum);
    }
    for (AccountState a : accounts.values()) {
      long expected = byEntries.getOrDefault(a.id, 0L);
      require(a.postedChange() == expected, "account %s: posted changed by %d, its entries by %d", a.id,
          a.postedChange(), expected);
    }
  }

  /** Pending of an account is what it was, plus the holds made on it, minus the holds let go of. */
  private static void pendingChangesAreTheHolds(Map<String, AccountState> accounts, List<TransferState> created,
      Collection<TransferState> updated) {
    Map<String, Long> expected = new HashMap<>();
    created.stream().filter(t -> t.status == TransferStatus.PENDING)
        .forEach(t -> expected.merge(t.debitAccountId, t.amount, Long::sum));
    updated.forEach(t -> expected.merge(t.debitAccountId, -t.amount, Long::sum));
    for (AccountState a : accounts.values()) {
      long holds = expected.getOrDefault(a.id, 0L);
      require(a.pendingChange() == holds, "account %s: pending changed by %d, its holds by %d", a.id,
          a.pendingChange(), holds);
    }
  }

  private static void balancesStayWithinLimits(Map<String, AccountState> accounts) {
    for (AccountState a : accounts.values()) {
      if (a.changed) {
        require(a.pending >= 0, "account %s: pending %d is negative", a.id, a.pending);
        require(a.withinLimit(), "account %s: available %d is below its overdraft limit of %d", a.id,
            a.available(), a.overdraftLimit);
      }
    }
  }

  private static void require(boolean holds, String broken, Object... values) {
    if (!holds) {
      throw new BrokenInvariant(String.format(broken, values));
    }
  }
}
