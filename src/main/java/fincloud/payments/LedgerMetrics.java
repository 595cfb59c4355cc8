package fincloud.payments;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.concurrent.TimeUnit;

/** Group sizes and commit latency of the ledger writer, in the node's Prometheus registry. */
final class LedgerMetrics {
  private final DistributionSummary groupSize;
  private final Timer commit;

  LedgerMetrics(Vertx vertx) {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry == null) {
      registry = new SimpleMeterRegistry();
    }
    groupSize = DistributionSummary.builder("fincloud_ledger_group_size")
        .description("Commands committed together in one database transaction")
        .publishPercentileHistogram().register(registry);
    commit = Timer.builder("fincloud_ledger_commit")
        .description("Time from a group's start to its commit").publishPercentileHistogram().register(registry);
  }

  void committed(int commands, long nanos) {
    groupSize.record(commands);
    commit.record(nanos, TimeUnit.NANOSECONDS);
  }
}
