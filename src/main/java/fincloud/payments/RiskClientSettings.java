package fincloud.payments;

import fincloud.bus.CallPolicy;
import fincloud.shared.ConfigSection;

/**
 * How payments asks risk: the call's deadline, retries and circuit breaker ({@code risk.timeoutMs},
 * {@code risk.attemptTimeoutMs}, {@code risk.breaker}), and who decides when risk cannot
 * ({@code risk.fallback}).
 */
public record RiskClientSettings(CallPolicy calls, RiskFallback fallback) {

  public static RiskClientSettings from(ConfigSection root) {
    ConfigSection risk = root.section("risk");
    return new RiskClientSettings(CallPolicy.from(risk, Long.MAX_VALUE), RiskFallback.from(risk.section("fallback")));
  }
}
