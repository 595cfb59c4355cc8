package fincloud.node;

import fincloud.shared.Addresses;
import fincloud.shared.NodeMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code GET /metrics} carries, kept small enough to scrape every few seconds (the page was
 * megabytes when every Vert.x timer published a percentile histogram per route and status).
 *
 * <ul>
 *   <li>Histograms only for the few meters whose quantiles the dashboard plots, each with a short
 *       list of buckets around its budget ({@link #BUCKETS}); every other timer and distribution
 *       shows count, sum and max.
 *   <li>HTTP server meters by route template, never by raw path; the response-time histogram by
 *       route and method only (the status is on the request counter).
 *   <li>Event-bus meters by address, the per-tenant {@code fincloud.audit.sealed.<tenant>} addresses
 *       folded into one, a service's node-local twin ({@code local.<address>}) into its address; no HTTP client meters (the node's only client fetches a JWKS).
 *   <li>A cap on the values of every label that a caller can vary ({@link #LABEL_CAPS}): past it, new
 *       series are dropped rather than grow the page.
 * </ul>
 */
public final class MetricsPage {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsPage.class);
  private static final String HTTP_RESPONSE_TIME = "vertx.http.server.response.time";

  /**
   * Bucket bounds of the meters worth a histogram: milliseconds for timers, commands for the group
   * size. Risk's buckets go below a millisecond: its budget is a millisecond at p99.
   */
  private static final Map<String, double[]> BUCKETS = Map.of(
      HTTP_RESPONSE_TIME, new double[] {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000},
      "vertx.pool.queue.time", new double[] {1, 5, 10, 25, 50, 100, 250, 1000, 5000},
      NodeMetrics.LEDGER_COMMIT, new double[] {1, 2.5, 5, 10, 25, 50, 100, 250, 1000},
      NodeMetrics.LEDGER_GROUP_SIZE, new double[] {1, 2, 5, 10, 20, 50, 100, 200, 500},
      NodeMetrics.RISK_LATENCY, new double[] {0.25, 0.5, 1, 2.5, 5, 10, 25, 100, 1000},
      NodeMetrics.RISK_SCORING, new double[] {0.1, 0.25, 0.5, 1, 2.5, 10},
      NodeMetrics.AUDIT_SEAL_LAG, new double[] {50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000});

  /** Label values at most per meter-name prefix and label: several times what a healthy node uses. */
  private static final Map<String, Map<String, Integer>> LABEL_CAPS = Map.of(
      "vertx.http.server", Map.of("route", 64, "method", 10, "code", 40),
      "vertx.eventbus", Map.of("address", 64),
      "vertx.pool", Map.of("pool_name", 16),
      "fincloud", Map.of("code", 40, "service", 16));

  /** Said again by the request counter and the node's bytes read and written. */
  private static final Set<String> DENIED = Set.of("vertx.http.server.request.bytes",
      "vertx.http.server.response.bytes", "vertx.eventbus.received", "vertx.eventbus.delivered");

  private MetricsPage() {
  }

  /** Vert.x's own meters: which exist and which labels they carry. */
  public static MicrometerMetricsOptions options() {
    return new MicrometerMetricsOptions()
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true).setPublishQuantiles(false))
        .setJvmMetricsEnabled(true)
        .setLabels(Set.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.EB_ADDRESS, Label.EB_SIDE,
            Label.EB_FAILURE, Label.POOL_TYPE, Label.POOL_NAME))
        .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
        .setEnabled(true);
  }

  /** The metrics of a node's Vert.x, in a registry that applies the bounds above to every meter. */
  public static VertxMetricsFactory factory() {
    return new MicrometerMetricsFactory(registry());
  }

  static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config()
        .meterFilter(MeterFilter.deny(id -> DENIED.contains(id.getName())))
        .meterFilter(MeterFilter.replaceTagValues("address", MetricsPage::withoutTenant))
        .meterFilter(responseTimeWithoutStatus());
    LABEL_CAPS.forEach((prefix, caps) -> caps.forEach((label, max) -> registry.config()
        .meterFilter(MeterFilter.maximumAllowableTags(prefix, label, max, droppedWithOneWarning(prefix, label, max)))));
    registry.config().meterFilter(histograms());
    return registry;
  }

  private static MeterFilter droppedWithOneWarning(String prefix, String label, int max) {
    AtomicBoolean warned = new AtomicBoolean();
    return new MeterFilter() {
      @Override
      public MeterFilterReply accept(Meter.Id id) {
        if (warned.compareAndSet(false, true)) {
          LOG.warn("/metrics: {} has more than {} values of {}; their new series are dropped", prefix, max, label);
        }
        return MeterFilterReply.DENY;
      }
    };
  }

  /** Folds the per-tenant addresses into one, and a node-local twin into its service address. */
  private static String withoutTenant(String address) {
    String clusterWide = Addresses.clusterWide(address);
    return clusterWide.startsWith(Addresses.AUDIT_SEALED + ".") ? Addresses.AUDIT_SEALED : clusterWide;
  }

  private static MeterFilter responseTimeWithoutStatus() {
    return new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id.getName().equals(HTTP_RESPONSE_TIME)
            ? id.replaceTags(id.getTags().stream().filter(tag -> !tag.getKey().equals("code")).toList())
            : id;
      }
    };
  }

  /** Buckets for the meters of {@link #BUCKETS}, none for any other, whatever its maker asked. */
  private static MeterFilter histograms() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        double[] bounds = BUCKETS.getOrDefault(id.getName(), new double[0]);
        double scale = id.getType() == Meter.Type.TIMER ? 1_000_000 : 1;
        return DistributionStatisticConfig.builder().percentilesHistogram(false).percentiles()
            .serviceLevelObjectives(Arrays.stream(bounds).map(bound -> bound * scale).toArray())
            .build().merge(config);
      }
    };
  }
}
