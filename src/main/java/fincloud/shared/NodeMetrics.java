package fincloud.shared;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * The node's meter registry, the one {@code /metrics} serves when the node's Vert.x was built
 * with metrics; without them (most tests) meters go to a private registry that nobody reads.
 *
 * <p>Every FinCloud meter is named here, {@code fincloud.<area>.<what>} in Micrometer's dot
 * notation (Prometheus renders {@code fincloud_<area>_<what>}, plus {@code _total} for a counter and
 * {@code _seconds} for a timer). The dashboard and the scrape settings in ops/ ask for these names:
 * rename one there too. No tag carries a tenant, client or account id. Which meters get histogram
 * buckets is decided in one place, the node's metrics page settings, not where a meter is made.
 */
public final class NodeMetrics {
  /** API requests the node is working on (gauge). */
  public static final String GATEWAY_IN_FLIGHT = "fincloud.gateway.in.flight";
  /** Bytes of request bodies reserved on the node (gauge, bytes). */
  public static final String GATEWAY_BODY_BYTES = "fincloud.gateway.body.bytes";
  /** Requests refused with 503 because the node had too many in flight (counter). */
  public static final String GATEWAY_OVERLOADED = "fincloud.gateway.overloaded";
  /** Requests refused with 429 (counter; the client is in the access log, never in a tag). */
  public static final String GATEWAY_RATE_LIMITED = "fincloud.gateway.rate.limited";
  /** Transfers as their clients saw them, tags {@code operation}, {@code outcome}, {@code code} (counter). */
  public static final String TRANSFERS = "fincloud.transfers";

  /** Commands committed together in one database transaction (distribution). */
  public static final String LEDGER_GROUP_SIZE = "fincloud.ledger.group.size";
  /** From a group's start to its commit (timer). */
  public static final String LEDGER_COMMIT = "fincloud.ledger.commit";
  /** Commands waiting for a group commit (gauge). */
  public static final String LEDGER_QUEUE = "fincloud.ledger.queue";
  /** Group transactions committing now (gauge). */
  public static final String LEDGER_GROUPS_IN_FLIGHT = "fincloud.ledger.groups.in.flight";

  /** Round trip of payments' risk call, the fallback included (timer). */
  public static final String RISK_LATENCY = "fincloud.risk.latency";
  /** Time risk takes to score one request (timer). */
  public static final String RISK_SCORING = "fincloud.risk.scoring";
  /** Transfers the risk fallback decided, tag {@code decision} (counter). */
  public static final String RISK_FALLBACK = "fincloud.risk.fallback";

  /** From an outbox row's insert to the commit of its sealed record (timer). */
  public static final String AUDIT_SEAL_LAG = "fincloud.audit.seal.lag";
  /** Records sealed into the chains, all tenants together (counter). */
  public static final String AUDIT_SEALED = "fincloud.audit.sealed";
  /** Chain heads the sealer refused to sign: they do not extend the last checkpoint (counter). */
  public static final String AUDIT_ALARMS = "fincloud.audit.alarms";
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
