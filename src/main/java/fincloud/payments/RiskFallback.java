package fincloud.payments;

import fincloud.bus.Decision;
import fincloud.bus.RiskScore;
import fincloud.shared.ConfigSection;
import java.util.ArrayList;
import java.util.List;

/**
 * What decides when the risk service cannot (down, slow, or its circuit open), from the
 * {@code risk.fallback} configuration: {@code {"mode":"DECLINE"}} (the default: fail closed) or
 * {@code {"mode":"APPROVE_BELOW","currency":"USD","amount":10000}} (transfers in that currency
 * below that amount go ahead, the rest are declined). Every decision it makes says
 * {@code "fallback": true}; it takes no velocity slot, so velocity limits do not hold while it decides.
 */
public final class RiskFallback {
  private final String currency;
  private final long below;

  private RiskFallback(String currency, long below) {
    this.currency = currency;
    this.below = below;
  }

  /** The {@code risk.fallback} section; a bad value is refused naming its key. */
  static RiskFallback from(ConfigSection fallback) {
    return switch (fallback.oneOf("mode", List.of("DECLINE", "APPROVE_BELOW"))) {
      case "APPROVE_BELOW" -> new RiskFallback(fallback.text("currency"), fallback.longInteger("amount", 1, Long.MAX_VALUE));
      default -> new RiskFallback(null, 0);
    };
  }

  /** One decision per item. */
  List<RiskScore> decide(List<TransferItem> items) {
    List<RiskScore> decisions = new ArrayList<>(items.size());
    for (TransferItem item : items) {
      decisions.add(approves(item) ? approve() : decline());
    }
    return decisions;
  }

  private boolean approves(TransferItem item) {
    return currency != null && currency.equals(item.currency()) && item.amount() < below;
  }

  private static RiskScore approve() {
    return RiskScore.ofFallback(Decision.APPROVE, 0, List.of());
  }

  private RiskScore decline() {
    String message = currency == null
        ? "risk scoring is unavailable and the fallback declines every transfer"
        : "risk scoring is unavailable and the fallback approves only transfers below " + below + " " + currency;
    return RiskScore.ofFallback(Decision.DECLINE, 100, List.of(new RiskScore.Reason("fallback", "FALLBACK", message)));
  }
}
