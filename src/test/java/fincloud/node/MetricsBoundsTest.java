package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.shared.NodeMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The bounds of the metrics page, on the registry alone: what a hostile or careless caller cannot grow. */
class MetricsBoundsTest {
  private final PrometheusMeterRegistry registry = MetricsPage.registry();

  @Test
  void aLabelACallerCanVaryIsCapped() {
    for (int i = 0; i < 500; i++) {
      Counter.builder("vertx.http.server.requests").tag("route", "/r" + i).tag("method", "GET").tag("code", "200")
          .register(registry).increment();
    }
    assertThat(registry.find("vertx.http.server.requests").counters()).hasSize(64);
  }

  @Test
  void onlyTheChosenMetersHaveBucketsAndThoseFew() {
    Timer.builder("some.timer").publishPercentileHistogram().register(registry).record(Duration.ofMillis(3));
    Timer.builder(NodeMetrics.LEDGER_COMMIT).register(registry).record(Duration.ofMillis(3));
    String page = registry.scrape();
    assertThat(page).doesNotContain("some_timer_seconds_bucket");
    assertThat(page.lines().filter(line -> line.startsWith("fincloud_ledger_commit_seconds_bucket")))
        .hasSize(10).contains("fincloud_ledger_commit_seconds_bucket{le=\"0.005\"} 1");
  }

  @Test
  void theResponseTimeIsByRouteAndMethodNotByStatus() {
    for (String code : new String[] {"200", "404", "422", "503"}) {
      Timer.builder("vertx.http.server.response.time").tag("route", "/v1/transfers").tag("method", "POST")
          .tag("code", code).register(registry).record(Duration.ofMillis(7));
    }
    assertThat(registry.scrape()).contains(
        "vertx_http_server_response_time_seconds_count{method=\"POST\",route=\"/v1/transfers\"} 4");
  }

  @Test
  void perTenantAddressesFoldIntoOne() {
    for (String tenant : new String[] {"acme", "globex"}) {
      Counter.builder("vertx.eventbus.published").tag("address", "fincloud.audit.sealed." + tenant)
          .register(registry).increment();
    }
    assertThat(registry.scrape()).contains("vertx_eventbus_published_total{address=\"fincloud.audit.sealed\"} 2.0")
        .doesNotContain("acme").doesNotContain("globex");
  }
}
