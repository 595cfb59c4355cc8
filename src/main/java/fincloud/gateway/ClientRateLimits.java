package fincloud.gateway;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-client request limits of the cluster ({@code gateway.rateLimits}): each client gets
 * {@code limit} requests per {@code periodMs} in total, whichever gateways it sends them to, from
 * its own entry under {@code clients} or from {@code default}; without either it is not limited.
 * A request is decided on this node alone, never waiting: the node spends permits it leased from
 * the cluster's count ahead of time, and gives credit while a lease is on its way (see
 * {@link ClientQuota}); while the cluster's count is out of reach, the limit holds per node (it
 * degrades, it never goes away). Shared by every gateway instance of the node.
 */
final class ClientRateLimits {
  private static final Logger LOG = LoggerFactory.getLogger(ClientRateLimits.class);
  /** Stands for "no limit" in the map (a ConcurrentHashMap holds no nulls). */
  private static final ClientQuota NONE = new ClientQuota(1, 1);

  private final QuotaLeases leases;
  private final Clock clock;
  private final GatewaySettings.RateLimit fallback;
  private final Map<String, GatewaySettings.RateLimit> perClient = new HashMap<>();
  private final Map<String, ClientQuota> quotas = new ConcurrentHashMap<>();

  /** @param settings the {@code gateway.rateLimits} settings */
  ClientRateLimits(Vertx vertx, GatewaySettings.RateLimits settings) {
    this(new QuotaLeases(vertx), Clock.systemUTC(), settings);
    leases.warm(settings.clients().keySet());
  }

  ClientRateLimits(QuotaLeases leases, Clock clock, GatewaySettings.RateLimits settings) {
    this.leases = leases;
    this.clock = clock;
    this.fallback = settings.fallback();
    perClient.putAll(settings.clients());
  }

  /** 0 when the client may go on (the request is counted), else the seconds it should wait. */
  long secondsToWait(String clientId) {
    ClientQuota quota = quotas.computeIfAbsent(clientId, this::quota);
    if (quota == NONE) {
      return 0;
    }
    long now = clock.millis();
    ClientQuota.Decision decision = quota.admit(now);
    if (decision == ClientQuota.Decision.WAIT) {
      return 1;
    }
    if (decision == ClientQuota.Decision.REFUSED) {
      return Math.max(1, TimeUnit.MILLISECONDS.toSeconds(quota.msToNextWindow(now) + 999));
    }
    if (decision == ClientQuota.Decision.ADMITTED_LEASE) {
      lease(clientId, quota, quota.windowAt(now));
    }
    return 0;
  }

  /** "limit requests per periodMs", for the client's refusal. */
  String describe(String clientId) {
    ClientQuota quota = quotas.get(clientId);
    return quota.limit + " requests per " + quota.periodMs + " ms";
  }

  /**
   * Not timed out: a lease that takes long (a frozen member owns the count) is answered when the
   * member is back or dropped, and charges the count for the credit given meanwhile.
   */
  private void lease(String clientId, ClientQuota quota, long window) {
    int asked = quota.leaseSize();
    leases.lease(clientId, window, asked, quota.limit)
        .onSuccess(granted -> {
          if (quota.leased(window, asked, granted, clock.millis())) {
            lease(clientId, quota, window);
          }
        })
        .onFailure(failure -> {
          LOG.warn("the cluster's count of {}'s requests failed, the limit holds per node meanwhile: {}",
              clientId, failure.toString());
          quota.leaseFailed(window, clock.millis());
        });
  }

  private ClientQuota quota(String clientId) {
    GatewaySettings.RateLimit limit = perClient.getOrDefault(clientId, fallback);
    return limit == null ? NONE : new ClientQuota(limit.limit(), limit.periodMs());
  }
}
