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
  /** Transfers the risk fallback decided, by decision (Counter). */
  public static final String RISK_FALLBACK = "fincloud.risk.fallback";

  /**
   * The meters of one caller's service calls (fincloud.bus.ServiceCalls), each tagged with the
   * downstream {@code service}: its breaker's state (Gauge: 0 closed, 1 half-open, 2 open), calls an
   * open breaker refused (Counter), attempts sent again (Counter, also tagged {@code reason}) and the
   * duration of a call, its retries included (Timer).
   */
  public record CallMeters(String breakerState, String breakerRejected, String retries, String latency) {
  }

  /** The gateway's calls to every service. */
  public static final CallMeters GATEWAY_CALLS = new CallMeters("fincloud.gateway.breaker.state",
      "fincloud.gateway.breaker.rejected", "fincloud.gateway.retries", "fincloud.gateway.call.latency");
  /** Payments' calls to risk. */
  public static final CallMeters PAYMENTS_CALLS = new CallMeters("fincloud.payments.breaker.state",
      "fincloud.payments.breaker.rejected", "fincloud.payments.retries", "fincloud.payments.call.latency");

  private static final MeterRegistry FALLBACK = new SimpleMeterRegistry();

  private NodeMetrics() {
  }

  public static MeterRegistry registry() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    return registry != null ? registry : FALLBACK;
  }
}
