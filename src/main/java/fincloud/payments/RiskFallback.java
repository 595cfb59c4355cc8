package fincloud.payments;

import fincloud.bus.Decision;
import fincloud.bus.RiskScore;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What decides when the risk service cannot (down, slow, or its circuit open), from the
 * {@code risk.fallback} configuration: {@code {"mode":"DECLINE"}} (the default: fail closed) or
 * {@code {"mode":"APPROVE_BELOW","currency":"USD","amount":10000}} (transfers in that currency
 * below that amount go ahead, the rest are declined). Every decision it makes says
 * {@code "fallback": true}; it takes no velocity slot, so velocity limits do not hold while it decides.
 */
final class RiskFallback {
  private final String currency;
  private final long below;

  private RiskFallback(String currency, long below) {
    this.currency = currency;
    this.below = below;
  }

  static RiskFallback from(JsonObject config) {
    String mode = config == null ? "DECLINE" : config.getString("mode", "DECLINE");
    return switch (mode) {
      case "DECLINE" -> new RiskFallback(null, 0);
      case "APPROVE_BELOW" -> {
        String currency = config.getString("currency");
        Long amount = config.getLong("amount");
        if (currency == null || amount == null || amount < 1) {
          throw new IllegalArgumentException("risk.fallback APPROVE_BELOW needs a currency and an amount >= 1");
        }
        yield new RiskFallback(currency, amount);
      }
      default -> throw new IllegalArgumentException("risk.fallback.mode must be DECLINE or APPROVE_BELOW, not " + mode);
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
