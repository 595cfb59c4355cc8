package fincloud.shared;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * The node's meter registry, the one {@code /metrics} serves when the node's Vert.x was built
 * with metrics; without them (most tests) meters go to a private registry that nobody reads.
 * FinCloud's own meters are named {@code fincloud.<service>.<what>} (Prometheus:
 * {@code fincloud_<service>_<what>...}); the names below are shared with the dashboard in ops/.
 */
public final class NodeMetrics {
  /** Round trip of payments' risk call (Timer, seconds). */
  public static final String RISK_LATENCY = "fincloud.risk.latency";

  private static final MeterRegistry FALLBACK = new SimpleMeterRegistry();

  private NodeMetrics() {
  }

  public static MeterRegistry registry() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    return registry != null ? registry : FALLBACK;
  }
}
