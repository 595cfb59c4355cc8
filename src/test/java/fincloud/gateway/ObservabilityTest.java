package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.read.ListAppender;
import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What an operator sees: Prometheus metrics of HTTP, event bus, pool, breakers, refusals and the
 * ledger; a Server-Timing header on every response; one structured log line per request.
 */
class ObservabilityTest {
  static Vertx vertx;
  static TestNode node;
  static TestClient http;
  static final ListAppender<ILoggingEvent> access = new ListAppender<>();

  @BeforeAll
  static void start() {
    vertx = MetricsVertx.create();
    node = TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject().put("rateLimits", new JsonObject()
        .put("clients", new JsonObject().put("globex-teller", new JsonObject().put("limit", 1).put("periodMs", 3_600_000))))));
    http = node.client();
    access.start();
    ((Logger) LoggerFactory.getLogger("fincloud.access")).addAppender(access);
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger("fincloud.access")).detachAppender(access);
    http.close();
    node.stop();
    vertx.close().await();
  }

  @Test
  void metricsCoverHttpEventBusPoolBreakersRefusalsAndTheLedger() {
    String debit = http.openAccount("acme-admin", new JsonObject().put("currency", "EUR").put("allowNegative", true)).getString("id");
    String credit = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR")).getString("id");
    assertThat(http.transfer("acme-teller", debit, credit, 500, "EUR").statusCode()).isEqualTo(201);
    assertThat(http.transfer("acme-teller", credit, debit, 1_000_000, "EUR").statusCode()).isEqualTo(422);
    http.get("globex-teller", "/v1/accounts");
    assertThat(http.get("globex-teller", "/v1/accounts").statusCode()).isEqualTo(429);

    String metrics = node.management().web().get("/metrics").send().await().bodyAsString();
    assertThat(metrics)
        .contains("vertx_http_server_requests_total{code=\"201\",method=\"POST\",route=\"/v1/transfers\"")
        .contains("vertx_eventbus_processed_total{address=\"fincloud.payments.create\"")
        .contains("vertx_pool_in_use{pool_name=\"fincloud-ledger\",pool_type=\"sql\"}")
        .contains("fincloud_gateway_breaker_state{service=\"payments\"} 0.0")
        .containsPattern("(?m)^fincloud_gateway_rate_limited_total [1-9]")
        .contains("fincloud_gateway_in_flight")
        .containsPattern("fincloud_transfers_total\\{code=\"none\",operation=\"create\",outcome=\"POSTED\"} [1-9]")
        .containsPattern("fincloud_transfers_total\\{code=\"INSUFFICIENT_FUNDS\",operation=\"create\",outcome=\"REFUSED\"} [1-9]")
        .contains("fincloud_ledger_group_size_count")
        .contains("fincloud_ledger_commit_seconds_bucket")
        .contains("fincloud_risk_latency_seconds_bucket");
  }

  @Test
  void theDashboardAsksOnlyForMetricsTheNodeExports() throws Exception {
    String debit = http.openAccount("acme-admin", new JsonObject().put("currency", "EUR").put("allowNegative", true)).getString("id");
    String credit = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR")).getString("id");
    assertThat(http.transfer("acme-teller", debit, credit, 7, "EUR").statusCode()).isEqualTo(201);
    http.get("globex-teller", "/v1/accounts");
    http.get("globex-teller", "/v1/accounts");
    String metrics = node.management().web().get("/metrics").send().await().bodyAsString();
    String dashboard = Files.readString(Path.of("ops/grafana-dashboard.json"));
    Matcher names = Pattern.compile("\\b((?:fincloud|vertx|jvm)_[a-z_]+)").matcher(dashboard);
    Set<String> asked = new TreeSet<>();
    while (names.find()) {
      asked.add(names.group(1));
    }
    // Exported once they have something to say: event-bus reply failures (the first failure
    // creates the series) and garbage-collection pauses (the first pause does).
    asked.removeAll(Set.of("vertx_eventbus_reply_failures_total", "jvm_gc_pause_seconds_sum",
        "jvm_gc_pause_seconds_count"));
    assertThat(asked).hasSizeGreaterThan(15);
    asked.forEach(name -> assertThat(metrics).as("the dashboard asks for %s", name).containsPattern("(?m)^" + name + "[{ ]"));
  }

  @Test
  void everyResponseCarriesServerTiming() {
    assertThat(http.web().get("/health/live").send().await().getHeader("Server-Timing"))
        .matches("gateway;dur=[0-9.]+, total;dur=[0-9.]+");
    assertThat(http.get("acme-teller", "/v1/nothing-here").getHeader("Server-Timing")).contains("total;dur=");
    String debit = http.openAccount("acme-admin", new JsonObject().put("currency", "EUR").put("allowNegative", true)).getString("id");
    String credit = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR")).getString("id");
    HttpResponse<Buffer> transfer = http.transfer("acme-teller", debit, credit, 100, "EUR");
    assertThat(transfer.statusCode()).isEqualTo(201);
    assertThat(transfer.getHeader("Server-Timing"))
        .matches("gateway;dur=[0-9.]+, payments;dur=[0-9.]+, arrival;dur=[0-9.]+, risk;dur=[0-9.]+, "
            + "ledger;dur=[0-9.]+, database;dur=[0-9.]+, reveal;dur=[0-9.]+, total;dur=[0-9.]+");
  }

  @Test
  void eachRequestLogsOneLineWithItsFields() {
    HttpResponse<Buffer> response = http.web().get("/v1/accounts/acc_nope").putHeader("X-Request-Id", "trace-me-42")
        .bearerTokenAuthentication(http.token("acme-teller")).send().await();
    assertThat(response.statusCode()).isEqualTo(404);
    ILoggingEvent line = Eventually.until("one access line of trace-me-42", Duration.ofSeconds(10), () -> accessLines().stream()
        .filter(e -> e.getFormattedMessage().contains("trace-me-42")).toList(), l -> l.size() == 1).get(0);
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
    encoder.start();
    JsonObject json = new JsonObject(new String(encoder.encode(line), StandardCharsets.UTF_8));
    assertThat(json.getString("requestId")).isEqualTo("trace-me-42");
    assertThat(json.getString("tenant")).isEqualTo("acme");
    assertThat(json.getString("client")).isEqualTo("acme-teller");
    assertThat(json.getString("route")).isEqualTo("/v1/accounts/:id");
    assertThat(json.getString("method")).isEqualTo("GET");
    assertThat(json.getInteger("status")).isEqualTo(404);
    assertThat(json.getDouble("durationMs")).isNotNull();
  }

  /** The appender takes lines from event loops under its own lock. */
  private static List<ILoggingEvent> accessLines() {
    synchronized (access) {
      return new ArrayList<>(access.list);
    }
  }

  @Test
  void jsonLogsAreOneSettingAway() throws Exception {
    LoggerContext context = new LoggerContext();
    context.putProperty("FINCLOUD_LOG_FORMAT", "json");
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(getClass().getResource("/logback.xml"));
    OutputStreamAppender<?> out = (OutputStreamAppender<?>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("OUT");
    assertThat(out.getEncoder()).isInstanceOf(LogstashEncoder.class);
    context.stop();
  }
}
