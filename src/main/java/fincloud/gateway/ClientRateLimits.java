package fincloud.gateway;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-client request limits of this node ({@code gateway.rateLimits}): each client gets
 * {@code limit} requests per {@code periodMs}, from its own entry under {@code clients} or from
 * {@code default}; without either it is not limited. One lock-free limiter per client, shared by
 * every gateway instance of the node, never waits: a request over the limit is refused at once,
 * so that a client bursting past its quota costs the others nothing but a compare-and-set.
 */
final class ClientRateLimits {
  /** Stands for "no limit" in the map (a ConcurrentHashMap holds no nulls); never asked for a permit. */
  private static final RateLimiter NONE = RateLimiter.of("unlimited", RateLimiterConfig.ofDefaults());

  private final RateLimiterConfig fallback;
  private final Map<String, RateLimiterConfig> perClient = new HashMap<>();
  private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();

  /** @param settings the {@code gateway.rateLimits} settings */
  ClientRateLimits(GatewaySettings.RateLimits settings) {
    fallback = config(settings.fallback());
    settings.clients().forEach((client, limit) -> perClient.put(client, config(limit)));
  }

  private static RateLimiterConfig config(GatewaySettings.RateLimit limit) {
    if (limit == null) {
      return null;
    }
    return RateLimiterConfig.custom().limitForPeriod(limit.limit())
        .limitRefreshPeriod(Duration.ofMillis(limit.periodMs())).timeoutDuration(Duration.ZERO).build();
  }

  /** 0 when the client may go on (the request is counted), else the seconds it should wait. */
  long secondsToWait(String clientId) {
    RateLimiter limiter = limiters.computeIfAbsent(clientId, this::limiter);
    if (limiter == NONE || limiter.acquirePermission()) {
      return 0;
    }
    long nanos = limiter instanceof AtomicRateLimiter atomic ? atomic.getDetailedMetrics().getNanosToWait() : 0;
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  /** "limit requests per periodMs", for the client's refusal. */
  String describe(String clientId) {
    RateLimiterConfig config = limiters.get(clientId).getRateLimiterConfig();
    return config.getLimitForPeriod() + " requests per " + config.getLimitRefreshPeriod().toMillis() + " ms";
  }

  private RateLimiter limiter(String clientId) {
    RateLimiterConfig config = perClient.getOrDefault(clientId, fallback);
    return config == null ? NONE : RateLimiter.of("client-" + clientId, config);
  }
}
