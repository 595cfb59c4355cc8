package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault: kill -9 of the primary PostgreSQL of a pg_auto_failover formation under load, twice (the
 * second failover goes back to the first server). One node (its own JVM) has the formation's
 * multi-host URL; bank clients move money with an Idempotency-Key each and retry with it. Each
 * round: the primary's postmaster is killed, the engine promotes the synchronous standby, the node
 * reconnects by itself, and the killed server comes back as the new standby. Checked: no
 * acknowledged transfer lost or doubled (SQL on the new primary), the unanswered ones resent with
 * their keys took effect at most once, the trial balance zero throughout, no 500, the node never
 * restarted; the report gives the time from the kill to the first acknowledged transfer.
 * Needs the Debian packages of {@code cluster-config/pg-failover.sh}.
 * Report: under {@code loadtest/results/}, named after the date and the run (not run yet: docs/reports.md).
 */
class PostgresFailoverFaultIT {
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration FAILOVER = Duration.ofSeconds(90);

  @Test
  @Timeout(1200)
  void losingThePrimaryLosesAndDoublesNothing() throws Exception {
    int failovers = Integer.getInteger("faults.pgha.failovers", 2);
    FaultReport report = new FaultReport("postgres-failover",
        "Fault: kill -9 of the PostgreSQL primary under load, failover to its synchronous standby");
    Path dir = ClusterHarness.workDirectory().resolve("faults-pgha-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("fincloud.json"), new JsonObject().encode());
    PgFormation formation = new PgFormation(dir.resolve("formation"));
    NodeProcess node = null;
    try {
      long formed = formation.start();
      report.did("Started a pg_auto_failover formation with `cluster-config/pg-failover.sh` (monitor, primary,"
          + " synchronous standby; %d ms) and one node with FINCLOUD_PG_URL=`%s`.", formed, formation.url());
      node = new NodeProcess("node", ClusterHarness.freePort(), Map.of("FINCLOUD_PG_URL", formation.url()),
          List.of("--config", dir.resolve("fincloud.json").toString()), dir);
      node.start().awaitReady(BOOT);
      String teller = Api.token(node, "acme-teller");
      String admin = Api.token(node, "acme-admin");
      String bank = Api.openAccount(node, admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      List<String> accounts = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String account = Api.openAccount(node, teller, new JsonObject().put("currency", "EUR"));
        Api.transfer(node, teller, bank, account, 5_000, "EUR");
        accounts.add(account);
      }
      List<NodeProcess> gateways = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(node));
      List<String> rounds = new ArrayList<>();
      try (BankWorkload clients = new BankWorkload(gateways, teller, accounts, "EUR");
          TrialBalanceWatch watch = new TrialBalanceWatch(gateways, admin, 250)) {
        clients.start(8);
        report.did("Opened and funded 12 EUR accounts; started 8 client threads (transfers with an Idempotency-Key"
            + " each, retried with it on 503 or a dropped connection) and a trial-balance watcher (every 250 ms).");
        NodeProcess.sleep(10_000);
        for (int round = 1; round <= failovers; round++) {
          rounds.add(failover(round, formation, node, clients, report));
          NodeProcess.sleep(8_000);
        }
        clients.close();
        watch.close();
        report.did("Stopped the clients: %d transfers acknowledged, %d unanswered after their tries; answers: %s.",
            clients.acked.size(), clients.unanswered.size(), clients.outcomes());
        Map<String, Long> retried = new TreeMap<>();
        List<BankWorkload.Acked> acked = new ArrayList<>(clients.acked);
        for (BankWorkload.Unanswered transfer : clients.unanswered) {
          PostgresKillFaultIT.Resent answer = PostgresKillFaultIT.resend(node, teller, transfer);
          retried.merge(answer.outcome(), 1L, Long::sum);
          if (answer.status() == 201) {
            acked.add(new BankWorkload.Acked(transfer.key(), answer.transferId()));
          }
        }
        report.did("Sent the %d unanswered transfers again with their keys: %s.", clients.unanswered.size(), retried);
        Books books = Books.read(formation.url());
        books.check(report, acked);
        watch.check(report);
        report.check(clients.outcomes().keySet().stream().noneMatch(k -> k.startsWith("500")),
            "no 500 answer during the run: %s", clients.outcomes());
        report.check(node.alive(), "the node ran through every failover without a restart");
        report.note("## Failovers\n\n| # | killed primary | standby promoted | node ready again | first 201 after the"
            + " kill | killed server back as standby | client answers meanwhile |\n|---|---|---|---|---|---|---|\n"
            + String.join("\n", rounds) + "\n");
      }
    } catch (Throwable failure) {
      report.check(false, "the run completed: %s", failure);
      if (node != null) {
        report.log("node", node.logText());
      }
      throw failure;
    } finally {
      if (node != null) {
        node.kill();
      }
      formation.stop();
      report.write();
    }
    report.assertAllHeld();
  }

  /** One kill -9 of the primary and the engine's failover; answers a row of the table. */
  private static String failover(int round, PgFormation formation, NodeProcess node, BankWorkload clients,
      FaultReport report) {
    Map<String, Long> before = clients.outcomes();
    long killedAt = System.nanoTime();
    String killed = formation.killPrimary();
    long firstAckMs = PostgresKillFaultIT.nextAckMs(clients, killedAt);
    Optional<String> promoted = formation.awaitNodeIn("primary", FAILOVER).filter(name -> !name.equals(killed));
    long promotedMs = (System.nanoTime() - killedAt) / 1_000_000;
    long ready = PostgresKillFaultIT.awaitStatus(node, true, FAILOVER);
    Optional<String> standby = formation.awaitNodeIn("secondary", Duration.ofMinutes(3));
    long standbyMs = (System.nanoTime() - killedAt) / 1_000_000;
    Map<String, Long> during = PostgresKillFaultIT.answersSince(clients, before);
    report.check(promoted.isPresent(), "failover %d: the engine promoted the standby after kill -9 of %s's postmaster"
        + " (%d ms)", round, killed, promotedMs);
    report.check(firstAckMs >= 0, "failover %d: transfers acknowledged on the new primary, the first %d ms after the"
        + " kill", round, firstAckMs);
    report.check(standby.filter(killed::equals).isPresent(), "failover %d: %s came back as the new standby (%d ms"
        + " after the kill)", round, killed, standbyMs);
    return String.format("| %d | %s | %s | %s | %s | %s | %s |", round, killed,
        promoted.map(name -> name + " in " + promotedMs + " ms").orElse("no"),
        ready < 0 ? "never" : (ready - killedAt) / 1_000_000 + " ms", firstAckMs < 0 ? "none" : firstAckMs + " ms",
        standby.map(name -> name + " in " + standbyMs + " ms").orElse("no"), during);
  }
}
