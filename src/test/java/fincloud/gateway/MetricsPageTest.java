package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Funds;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * GET /metrics stays small enough to scrape every few seconds: after the kinds of traffic the test
 * suite sends one node (every route, refusals, 404s, holds, batches, audit reads, risk rules, two
 * tenants), the page is under {@link #PAGE_LIMIT_BYTES}, still carries every meter the dashboard
 * asks for, and no label names a tenant, a client or an account. Measured in bytes, never in time.
 */
class MetricsPageTest {
  private static final int PAGE_LIMIT_BYTES = 150 * 1024;
  private static final int ROUNDS = 3;

  static Vertx vertx;
  static TestNode node;
  static TestClient http;
  static final List<String> accountIds = new ArrayList<>();
  static String page;

  @BeforeAll
  static void start() {
    vertx = MetricsVertx.create();
    node = TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject().put("rateLimits", new JsonObject()
        .put("clients", new JsonObject().put("acme-auditor", new JsonObject().put("limit", 8)
            .put("periodMs", 3_600_000))))));
    http = node.client();
    for (int round = 0; round < ROUNDS; round++) {
      accounts("acme-teller", "USD");
      accounts("globex-teller", "EUR");
      transfers();
      riskRules();
      auditReads();
      mistakes();
    }
    page = node.management().web().get("/metrics").send().await().bodyAsString();
  }

  @AfterAll
  static void stop() {
    http.close();
    node.stop();
    vertx.close().await();
  }

  @Test
  void thePageStaysUnderItsLimit() {
    int bytes = page.getBytes(StandardCharsets.UTF_8).length;
    System.out.printf("/metrics after the mix of every route: %d bytes, %d lines%n", bytes, page.lines().count());
    assertThat(bytes).as("bytes of /metrics (%d lines)", page.lines().count()).isLessThan(PAGE_LIMIT_BYTES);
  }

  @Test
  void thePageStillCarriesWhatTheDashboardAsksFor() throws Exception {
    String dashboard = Files.readString(Path.of("ops/grafana-dashboard.json"));
    Matcher names = Pattern.compile("\\b((?:fincloud|vertx|jvm)_[a-z_]+)").matcher(dashboard);
    Set<String> asked = new TreeSet<>();
    while (names.find()) {
      asked.add(names.group(1));
    }
    // Shown once they have something to say: event-bus reply failures and garbage-collection pauses.
    asked.removeAll(Set.of("vertx_eventbus_reply_failures_total", "jvm_gc_pause_seconds_sum",
        "jvm_gc_pause_seconds_count"));
    assertThat(asked).contains("fincloud_ledger_queue", "fincloud_ledger_groups_in_flight",
        "fincloud_risk_fallback_total", "fincloud_payments_breaker_state", "fincloud_gateway_retries_total");
    asked.forEach(name -> assertThat(page).as("the dashboard asks for %s", name)
        .containsPattern("(?m)^" + name + "[{ ]"));
  }

  @Test
  void fincloudMetersFollowOneConvention() {
    Matcher series = Pattern.compile("(?m)^(fincloud_[a-z_]+)").matcher(page);
    Set<String> found = new TreeSet<>();
    while (series.find()) {
      found.add(series.group(1));
    }
    assertThat(found).isNotEmpty().allSatisfy(name -> assertThat(name).matches("fincloud_(gateway|transfers|accounts|"
        + "payments|ledger|risk|audit)(_[a-z]+)*"));
  }

  @Test
  void noLabelNamesATenantAClientOrAnAccount() {
    List<String> labelled = page.lines().filter(line -> !line.startsWith("#") && line.contains("{")).toList();
    assertThat(labelled).isNotEmpty().noneMatch(line -> line.contains("acme") || line.contains("globex"));
    accountIds.forEach(id -> assertThat(page).doesNotContain(id));
  }

  // ---- the traffic -----------------------------------------------------------------------------

  private static void accounts(String client, String currency) {
    String id = http.openAccount(client, new JsonObject().put("currency", currency)).getString("id");
    accountIds.add(id);
    http.get(client, "/v1/accounts");
    http.get(client, "/v1/accounts/" + id);
    http.get(client, "/v1/accounts/" + id + "/entries");
    http.post(client, "/v1/accounts/" + id + "/freeze", null, key());
    http.post(client, "/v1/accounts/" + id + "/unfreeze", null, key());
    http.post(client, "/v1/accounts/" + id + "/close", null, key());
    http.get(client, "/v1/accounts/acc_" + UUID.randomUUID());
  }

  private static void transfers() {
    String payer = Funds.fundedAccount(http, "acme-teller", "USD", 10_000);
    String payee = http.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
    String euros = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR")).getString("id");
    accountIds.addAll(List.of(payer, payee, euros));
    HttpResponse<Buffer> made = http.transfer("acme-teller", payer, payee, 100, "USD");
    http.transfer("acme-teller", payee, payer, 1_000_000, "USD");
    http.transfer("acme-teller", payer, euros, 1, "USD");
    http.transfer("acme-teller", payer, payer, 1, "USD");
    http.transfer("acme-teller", payer, "acc_" + UUID.randomUUID(), 1, "USD");
    String key = key();
    JsonObject once = new JsonObject().put("debitAccountId", payer).put("creditAccountId", payee).put("amount", 5)
        .put("currency", "USD");
    http.post("acme-teller", "/v1/transfers", once, key);
    http.post("acme-teller", "/v1/transfers", once, key);
    http.post("acme-teller", "/v1/transfers", once.copy().put("amount", 6), key);
    http.get("acme-teller", "/v1/transfers/" + made.bodyAsJsonObject().getString("id"));
    http.get("acme-teller", "/v1/transfers?accountId=" + payer);
    http.get("acme-teller", "/v1/transfers/tr_" + UUID.randomUUID());
    String posted = hold(payer, payee);
    http.post("acme-teller", "/v1/transfers/" + posted + "/post", new JsonObject().put("amount", 10), key());
    http.post("acme-teller", "/v1/transfers/" + hold(payer, payee) + "/void", null, key());
    http.post("acme-teller", "/v1/transfers/" + posted + "/void", null, key());
    http.post("acme-teller", "/v1/transfers/batch", new JsonObject().put("transfers", new JsonArray()
        .add(once.copy().put("amount", 1)).add(once.copy().put("amount", 2))), key());
    http.post("acme-teller", "/v1/transfers/batch", new JsonObject().put("transfers", new JsonArray()
        .add(once.copy().put("amount", 1)).add(once.copy().put("amount", 9_999_999))), key());
    http.get("acme-admin", "/v1/ledger/trial-balance");
  }

  private static String hold(String payer, String payee) {
    return http.post("acme-teller", "/v1/transfers", new JsonObject().put("debitAccountId", payer)
        .put("creditAccountId", payee).put("amount", 50).put("currency", "USD").put("mode", "PENDING"), key())
        .bodyAsJsonObject().getString("id");
  }

  private static void riskRules() {
    http.get("acme-admin", "/v1/risk/rules");
    String payer = Funds.fundedAccount(http, "acme-teller", "GBP", 10_000);
    String payee = http.openAccount("acme-teller", new JsonObject().put("currency", "GBP")).getString("id");
    accountIds.addAll(List.of(payer, payee));
    http.put("acme-admin", "/v1/risk/rules", new JsonObject().put("rules", new JsonArray()
        .add(new JsonObject().put("id", "max-gbp").put("type", "MAX_AMOUNT").put("currency", "GBP").put("max", 500))));
    http.transfer("acme-teller", payer, payee, 1_000, "GBP");
    http.put("acme-admin", "/v1/risk/rules", new JsonObject().put("rules", new JsonArray()
        .add(new JsonObject().put("id", "nonsense"))));
    http.put("acme-admin", "/v1/risk/rules", new JsonObject().put("rules", new JsonArray()));
  }

  private static void auditReads() {
    http.get("acme-auditor", "/v1/audit/events");
    http.get("acme-auditor", "/v1/audit/verify");
    http.get("acme-auditor", "/v1/audit/keys");
    http.get("acme-auditor", "/v1/audit/export?from=1&to=5");
    http.get("acme-admin", "/v1/cluster");
  }

  private static void mistakes() {
    http.get(null, "/v1/accounts");
    http.get("acme-auditor", "/v1/risk/rules");
    http.get("acme-teller", "/v1/nothing-here/" + UUID.randomUUID());
    for (HttpMethod method : List.of(HttpMethod.DELETE, HttpMethod.PATCH, HttpMethod.OPTIONS, HttpMethod.HEAD,
        HttpMethod.valueOf("BREW"))) {
      http.web().request(method, "/v1/transfers").send().await();
    }
    http.post("acme-teller", "/v1/accounts", new JsonObject().put("currency", "dollars"));
    http.get(null, "/health/live");
    http.get(null, "/health/ready");
    http.get(null, "/openapi.yaml");
    http.get(null, "/metrics");
  }

  private static String key() {
    return UUID.randomUUID().toString();
  }
}
