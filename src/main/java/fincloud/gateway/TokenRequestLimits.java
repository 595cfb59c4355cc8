package fincloud.gateway;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Limits of {@code POST /oauth/token} per client id and per source address, checked before any
 * secret is hashed ({@code gateway.tokenLimits}): a flood of wrong secrets is refused for the
 * price of a compare-and-set. Every client id asked for gets a limiter, known or not, so that the
 * answer does not tell which ids exist; the limiters of the least recently seen ids and addresses
 * are dropped past {@value #MAX_TRACKED} of each, so that random ids cannot fill the memory.
 */
final class TokenRequestLimits {
  static final int MAX_TRACKED = 100_000;

  private final RateLimiterConfig perClient;
  private final RateLimiterConfig perAddress;
  private final Map<String, RateLimiter> clients = lru();
  private final Map<String, RateLimiter> addresses = lru();

  TokenRequestLimits(GatewaySettings.TokenLimits settings) {
    perClient = config(settings.perClient());
    perAddress = config(settings.perAddress());
  }

  /** 0 when the request may go on (counted against both), else the seconds to wait. */
  long secondsToWait(String clientId, String address) {
    long wait = secondsToWait(addresses, perAddress, String.valueOf(address));
    return wait > 0 ? wait : secondsToWait(clients, perClient, String.valueOf(clientId));
  }

  private static long secondsToWait(Map<String, RateLimiter> limiters, RateLimiterConfig config, String key) {
    RateLimiter limiter;
    synchronized (limiters) {
      limiter = limiters.computeIfAbsent(key, k -> RateLimiter.of("token", config));
    }
    if (limiter.acquirePermission()) {
      return 0;
    }
    long nanos = limiter instanceof AtomicRateLimiter atomic ? atomic.getDetailedMetrics().getNanosToWait() : 0;
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  private static RateLimiterConfig config(GatewaySettings.RateLimit limit) {
    return RateLimiterConfig.custom().limitForPeriod(limit.limit())
        .limitRefreshPeriod(Duration.ofMillis(limit.periodMs())).timeoutDuration(Duration.ZERO).build();
  }

  private static Map<String, RateLimiter> lru() {
    return new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, RateLimiter> eldest) {
        return size() > MAX_TRACKED;
      }
    };
  }
}
