package fincloud.payments;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Group sizes and commit latency of the ledger writer, and its queue and groups in flight (a
 * queue that keeps growing is a node falling behind), in the node's Prometheus registry.
 */
final class LedgerMetrics {
  private final MeterRegistry registry;
  private final DistributionSummary groupSize;
  private final Timer commit;
  private List<Gauge> gauges = List.of();

  LedgerMetrics(Vertx vertx) {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry == null) {
      registry = new SimpleMeterRegistry();
    }
    this.registry = registry;
    groupSize = DistributionSummary.builder("fincloud_ledger_group_size")
        .description("Commands committed together in one database transaction")
        .publishPercentileHistogram().register(registry);
    commit = Timer.builder("fincloud_ledger_commit")
        .description("Time from a group's start to its commit").publishPercentileHistogram().register(registry);
  }

  void watch(LedgerWriter writer) {
    gauges = List.of(
        Gauge.builder("fincloud_ledger_queue", writer, LedgerWriter::queued)
            .description("Commands waiting for a group commit").register(registry),
        Gauge.builder("fincloud_ledger_groups_in_flight", writer, LedgerWriter::groupsInFlight)
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
