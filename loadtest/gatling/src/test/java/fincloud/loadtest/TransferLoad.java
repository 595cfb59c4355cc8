package fincloud.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jmesPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The workload both simulations run against one gateway: an open model (virtual users arrive at
 * a constant rate whatever the latency, so a slow node cannot slow the load down and hide its own
 * latency) where each arrival makes one transfer with a fresh Idempotency-Key, plus a smaller
 * stream of balance reads.
 */
final class TransferLoad {
  private final LoadSettings settings;
  private final Bank bank;
  private final String suffix;

  /** @param suffix names this gateway's requests apart in the report ("" for a single node) */
  TransferLoad(LoadSettings settings, Bank bank, String suffix) {
    this.settings = settings;
    this.bank = bank;
    this.suffix = suffix;
  }

  /** Transfers and reads at the given share of the configured rates, against this load's gateway. */
  List<PopulationBuilder> populations(String baseUrl, double share) {
    // Shared keep-alive connections: the callers of a payments API are services with connection
    // pools, not browsers opening a connection per user.
    HttpProtocolBuilder protocol = http.baseUrl(baseUrl).acceptHeader("application/json").shareConnections();
    return List.of(
        transfers().injectOpen(arrivals(settings.rate() * share)).protocols(protocol),
        reads().injectOpen(arrivals(settings.readRate() * share)).protocols(protocol));
  }

  static Assertion[] assertions(LoadSettings settings) {
    return new Assertion[] {
        global().responseTime().percentile(99.0).lt(settings.p99Ms()),
        global().failedRequests().percent().lte(settings.maxErrorPercent())
    };
  }

  private ScenarioBuilder transfers() {
    return scenario("transfers" + suffix).feed(feeder(this::transferFields))
        .exec(http("transfer" + suffix).post("/v1/transfers")
            .header("Authorization", session -> "Bearer " + bank.token())
            .header("Idempotency-Key", "#{key}")
            .body(StringBody("{\"debitAccountId\":\"#{debit}\",\"creditAccountId\":\"#{credit}\","
                + "\"amount\":#{amount},\"currency\":\"" + settings.currency() + "\",\"reference\":\"gatling\"}"))
            .asJson()
            .check(status().is(201), jmesPath("status").is("POSTED")));
  }

  private ScenarioBuilder reads() {
    return scenario("balance reads" + suffix).feed(feeder(this::readFields))
        .exec(http("balance" + suffix).get("/v1/accounts/#{account}")
            .header("Authorization", session -> "Bearer " + bank.token())
            .check(status().is(200), jmesPath("balance.available").exists()));
  }

  /** A random pair of distinct accounts; with probability hotShare the debit is the hot account. */
  private Map<String, Object> transferFields() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<String> ids = bank.accountIds();
    int debit = random.nextDouble() < settings.hotShare() ? 0 : random.nextInt(ids.size());
    int credit = random.nextInt(ids.size() - 1);
    if (credit >= debit) {
      credit++;
    }
    return Map.of("debit", ids.get(debit), "credit", ids.get(credit),
        "amount", 1 + random.nextInt(100), "key", "gatling-" + UUID.randomUUID());
  }

  private Map<String, Object> readFields() {
    List<String> ids = bank.accountIds();
    return Map.of("account", ids.get(ThreadLocalRandom.current().nextInt(ids.size())));
  }

  /** An endless feeder; it reads the accounts only when a user arrives, after the before hook made them. */
  private static Iterator<Map<String, Object>> feeder(Supplier<Map<String, Object>> fields) {
    return Stream.generate(fields).iterator();
  }

  private OpenInjectionStep[] arrivals(double perSecond) {
    if (settings.rampSeconds() <= 0) {
      return new OpenInjectionStep[] {constantUsersPerSec(perSecond).during(settings.durationSeconds())};
    }
    return new OpenInjectionStep[] {
        rampUsersPerSec(Math.min(1, perSecond)).to(perSecond).during(settings.rampSeconds()),
        constantUsersPerSec(perSecond).during(settings.durationSeconds())
    };
  }
}
