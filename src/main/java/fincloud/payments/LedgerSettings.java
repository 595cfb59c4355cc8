package fincloud.payments;

import fincloud.shared.ConfigSection;

/**
 * The {@code ledger} section: the bounds of group commit and how often expired holds are voided.
 *
 * @param maxGroup money movements one transaction takes at most
 * @param maxInFlightGroups transactions committing at once; new movements queue meanwhile
 * @param maxQueue movements waiting at most; past it the writer answers 503
 * @param expiryIntervalMs how often expired holds are looked for and voided
 */
public record LedgerSettings(int maxGroup, int maxInFlightGroups, int maxQueue, long expiryIntervalMs) {

  public static LedgerSettings from(ConfigSection ledger) {
    return new LedgerSettings(
        ledger.integer("maxGroup", 1, 10_000),
        ledger.integer("maxInFlightGroups", 1, 64),
        ledger.integer("maxQueue", 1, 10_000_000),
        ledger.longInteger("expiryIntervalMs", 1, 3_600_000));
  }
}
