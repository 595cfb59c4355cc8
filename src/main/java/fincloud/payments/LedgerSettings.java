package fincloud.payments;

import fincloud.shared.ConfigSection;

/**
 * The {@code ledger} section: the bounds of group commit, how often expired holds are voided, and how
 * long idempotency records are kept.
 *
 * @param maxGroup money movements one transaction takes at most
 * @param maxInFlightGroups transactions committing at once; new movements queue meanwhile
 * @param maxQueue movements waiting at most; past it the writer answers 503
 * @param expiryIntervalMs how often expired holds are looked for and voided
 * @param idempotencyRetentionDays how long an Idempotency-Key's record (and fence) is kept: at
 *     least a day, as the contract promises 24 hours
 * @param idempotencyPurgeIntervalMs how often records past their retention are purged (a bounded round)
 * @param instances payments verticles on one node, each with its own writer (the bounds above are
 *     each writer's). One by default: on two shared cores several split the node's transfers into
 *     groups half the size and cost more CPU per transfer than they spread
 *     (loadtest/results/2026-12-05-fast-path-instances.md)
 */
public record LedgerSettings(int maxGroup, int maxInFlightGroups, int maxQueue, long expiryIntervalMs,
    int idempotencyRetentionDays, long idempotencyPurgeIntervalMs, int instances) {

  public static LedgerSettings from(ConfigSection ledger) {
    return new LedgerSettings(
        ledger.integer("maxGroup", 1, 10_000),
        ledger.integer("maxInFlightGroups", 1, 64),
        ledger.integer("maxQueue", 1, 10_000_000),
        ledger.longInteger("expiryIntervalMs", 1, 3_600_000),
        ledger.integer("idempotencyRetentionDays", 1, 36_500),
        ledger.longInteger("idempotencyPurgeIntervalMs", 1, 86_400_000),
        ledger.integer("instances", 1, 256));
  }
}
