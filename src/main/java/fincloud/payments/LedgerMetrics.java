package fincloud.payments;

import fincloud.shared.NodeMetrics;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Group sizes and commit latency of the ledger writer, and its queue and groups in flight (a
 * queue that keeps growing is a node falling behind), in the node's Prometheus registry.
 */
final class LedgerMetrics {
  private final MeterRegistry registry = NodeMetrics.registry();
  private final DistributionSummary groupSize;
  private final Timer commit;
  private List<Gauge> gauges = List.of();

  LedgerMetrics(Vertx vertx) {
    groupSize = DistributionSummary.builder(NodeMetrics.LEDGER_GROUP_SIZE)
        .description("Commands committed together in one database transaction").register(registry);
    commit = Timer.builder(NodeMetrics.LEDGER_COMMIT)
        .description("Time from a group's start to its commit").register(registry);
  }

  void watch(LedgerWriter writer) {
    gauges = List.of(
        Gauge.builder(NodeMetrics.LEDGER_QUEUE, writer, LedgerWriter::queued)
            .description("Commands waiting for a group commit").register(registry),
        Gauge.builder(NodeMetrics.LEDGER_GROUPS_IN_FLIGHT, writer, LedgerWriter::groupsInFlight)
            .description("Group transactions committing now").register(registry));
  }

  /** Removes the gauges, so that a payments service deployed again registers its own writer's. */
  void unwatch() {
    gauges.forEach(registry::remove);
    gauges = List.of();
  }

  void committed(int commands, long nanos) {
    groupSize.record(commands);
    commit.record(nanos, TimeUnit.NANOSECONDS);
  }
}
