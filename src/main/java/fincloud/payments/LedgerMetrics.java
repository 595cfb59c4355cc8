package fincloud.payments;

import fincloud.shared.NodeMetrics;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * Group sizes and commit latency of the node's ledger writers, and their queues and groups in
 * flight (a queue that keeps growing is a node falling behind), in the node's Prometheus
 * registry. One per node ({@link NodePayments}): the gauges add up the writers of every payments
 * instance, so that the node shows one queue, whatever the number of instances.
 */
final class LedgerMetrics {
  private final MeterRegistry registry = NodeMetrics.registry();
  private final DistributionSummary groupSize;
  private final Timer commit;
  private final List<LedgerWriter> writers = new CopyOnWriteArrayList<>();
  private final List<Gauge> gauges;

  LedgerMetrics() {
    groupSize = DistributionSummary.builder(NodeMetrics.LEDGER_GROUP_SIZE)
        .description("Commands committed together in one database transaction").register(registry);
    commit = Timer.builder(NodeMetrics.LEDGER_COMMIT)
        .description("Time from a group's start to its commit").register(registry);
    gauges = List.of(
        Gauge.builder(NodeMetrics.LEDGER_QUEUE, writers, all -> sum(all, LedgerWriter::queued))
            .description("Commands waiting for a group commit").register(registry),
        Gauge.builder(NodeMetrics.LEDGER_GROUPS_IN_FLIGHT, writers, all -> sum(all, LedgerWriter::groupsInFlight))
            .description("Group transactions committing now").register(registry));
  }

  private static double sum(List<LedgerWriter> writers, ToIntFunction<LedgerWriter> what) {
    return writers.stream().mapToInt(what).sum();
  }

  void watch(LedgerWriter writer) {
    writers.add(writer);
  }

  void unwatch(LedgerWriter writer) {
    writers.remove(writer);
  }

  /** Removes the gauges, so that a payments service deployed again registers its own writers'. */
  void close() {
    gauges.forEach(registry::remove);
  }

  void committed(int commands, long nanos) {
    groupSize.record(commands);
    commit.record(nanos, TimeUnit.NANOSECONDS);
  }
}
