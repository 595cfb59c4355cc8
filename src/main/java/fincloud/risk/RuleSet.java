package fincloud.risk;

import fincloud.bus.Decision;
import fincloud.bus.RiskScore;
import fincloud.bus.RiskScore.Reason;
import fincloud.bus.ScoredTransfer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One version of a tenant's rules, and the scoring of a transfer against them. Pure: the verticle
 * hands it the debit account's velocity window (or none) and the clock.
 */
final class RuleSet {
  static final RuleSet EMPTY = new RuleSet(0, List.of());

  private final long version;
  private final List<RiskRule> rules;
  private final long longestWindowSeconds;

  RuleSet(long version, List<RiskRule> rules) {
    this.version = version;
    this.rules = List.copyOf(rules);
    this.longestWindowSeconds = rules.stream().filter(RiskRule::velocity)
        .mapToLong(rule -> rule instanceof RiskRule.VelocityCount c ? c.windowSeconds()
            : ((RiskRule.VelocityAmount) rule).windowSeconds())
        .max().orElse(0);
  }

  long version() {
    return version;
  }

  List<RiskRule> rules() {
    return rules;
  }

  /** Whether scoring needs the debit account's window (and approving must record the transfer in it). */
  boolean hasVelocity() {
    return longestWindowSeconds > 0;
  }

  long longestWindowSeconds() {
    return longestWindowSeconds;
  }

  long bucketSeconds() {
    return VelocityWindow.bucketSeconds(longestWindowSeconds);
  }

  /** How long an untouched window is worth keeping in shared data. */
  long windowTtlMs() {
    return (longestWindowSeconds + bucketSeconds()) * 1000;
  }

  /**
   * Scores one transfer. With {@code window} null the velocity rules are left out: the verticle
   * asks that first, and consults the shared window only when nothing else declines already.
   */
  RiskScore score(ScoredTransfer transfer, VelocityWindow window, long nowMs) {
    List<Reason> reasons = null;
    int declines = 0;
    int reviews = 0;
    double closest = 0;
    for (RiskRule rule : rules) {
      long measured = rule.measure(transfer, window, nowMs);
      if (measured == RiskRule.NOT_APPLICABLE) {
        continue;
      }
      if (measured > rule.max()) {
        if (reasons == null) {
          reasons = new ArrayList<>(2);
        }
        reasons.add(new Reason(rule.id(), rule.type(), rule.explain(transfer, measured)));
        if (rule.action() == RiskRule.Action.DECLINE) {
          declines++;
        } else {
          reviews++;
        }
      } else if (rule.max() > 0) {
        closest = Math.max(closest, (double) measured / rule.max());
      }
    }
    if (declines > 0) {
      return RiskScore.ofRules(Decision.DECLINE, Math.min(100, 80 + 10 * declines), reasons, version);
    }
    if (reviews > 0) {
      return RiskScore.ofRules(Decision.REVIEW, Math.min(89, 40 + 10 * reviews), reasons, version);
    }
    return RiskScore.ofRules(Decision.APPROVE, (int) Math.round(49 * Math.min(1.0, closest)), List.of(), version);
  }

  JsonObject toJson() {
    JsonArray list = new JsonArray();
    rules.forEach(rule -> list.add(rule.toJson()));
    return new JsonObject().put("version", version).put("rules", list);
  }
}
