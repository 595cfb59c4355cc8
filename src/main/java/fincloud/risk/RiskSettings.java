package fincloud.risk;

import fincloud.shared.ConfigSection;

/**
 * The risk service's part of the {@code risk} section (its callers' timeout, breaker and fallback
 * are payments' business).
 *
 * @param rulesPollMs how often each instance compares its rule-set versions with the database
 * @param rulesMaxStaleMs an instance that could not check for this long stops scoring
 * @param rulesOutageMaxStaleMs the same while the check fails for want of a database server
 *     (never shorter than {@code rulesMaxStaleMs})
 * @param poolSize connections of risk's own pool
 * @param instances risk verticles on one node (they share the node's rule sets in force)
 */
public record RiskSettings(long rulesPollMs, long rulesMaxStaleMs, long rulesOutageMaxStaleMs, int poolSize, int instances) {

  public static RiskSettings from(ConfigSection risk) {
    return new RiskSettings(
        risk.longInteger("rulesPollMs", 1, 3_600_000),
        risk.longInteger("rulesMaxStaleMs", 1, 86_400_000),
        risk.longInteger("rulesOutageMaxStaleMs", 1, 86_400_000),
        risk.integer("poolSize", 1, 100),
        risk.integer("instances", 1, 256));
  }
}
