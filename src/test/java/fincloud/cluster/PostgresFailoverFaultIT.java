package fincloud.cluster;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import fincloud.testkit.TestSql;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault: kill -9 of the primary PostgreSQL server of a pg_auto_failover formation under load, twice per
 * phase (the second failover goes back to the first server); first with one node (its own JVM),
 * then with three clustered nodes, all on the formation's multi-host URL. Bank clients move money
 * with an Idempotency-Key each and retry with it. Each round: holds with a short expiry are made,
 * the primary's server is killed, the engine promotes the synchronous standby
 * ({@code wait_primary} seen on the monitor), the nodes reconnect by themselves, the killed server
 * is started again and comes back as the new standby, and the holds are voided as expired exactly
 * once. The kill is of the primary's pg_autoctl keeper and postmaster together (a machine's
 * crash): the postmaster alone is restarted by its keeper within a second, too soon for a failover. Checked at the
 * end: no acknowledged transfer lost or doubled (SQL on the new primary), the unanswered ones
 * resent with their keys took effect at most once, the trial balance zero throughout, no 500, no
 * 422 RISK_DECLINED (principle 10: no refusal caused by an outage), no node restarted, the audit
 * chain valid; the report gives the time from the kill to the first acknowledged transfer after
 * the promotion. Needs the Debian packages of {@code cluster-config/pg-failover.sh}.
 * {@code -Dfaults.pgha.nodes=1,3} (the phases) and {@code -Dfaults.pgha.failovers=2} (per phase).
 * Report: {@code loadtest/results/<date>-faults-postgres-failover-<phases>-nodes.md} (docs/reports.md).
 */
class PostgresFailoverFaultIT {
  private static final Duration BOOT = Duration.ofSeconds(180);
  private static final Duration FAILOVER = Duration.ofSeconds(120);
  private static final Duration REJOIN = Duration.ofMinutes(3);
  private static final int HOLDS_PER_ROUND = 4;
  private static final int HOLD_EXPIRY_SECONDS = 3;

  @Test
  @Timeout(2400)
  void losingThePrimaryLosesAndDoublesNothing() throws Exception {
    int failovers = Integer.getInteger("faults.pgha.failovers", 2);
    List<Integer> phases = Arrays.stream(System.getProperty("faults.pgha.nodes", "1,3").split(","))
        .map(String::trim).map(Integer::valueOf).toList();
    FaultReport report = new FaultReport("postgres-failover-" + phases.stream().map(String::valueOf)
        .collect(java.util.stream.Collectors.joining("-then-")) + "-nodes",
        "Fault: kill -9 of the PostgreSQL primary under load, failover to its synchronous standby");
    Path dir = ClusterHarness.workDirectory().resolve("faults-pgha-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectories(dir);
    PgFormation formation = new PgFormation(dir.resolve("formation"));
    List<BankWorkload.Acked> acked = new ArrayList<>();
    List<String> rounds = new ArrayList<>();
    Map<String, Long> answers = new TreeMap<>();
    try {
      long formed = formation.start();
      report.did("Started a pg_auto_failover formation with `cluster-config/pg-failover.sh` (monitor, primary,"
          + " synchronous standby; %d ms); every node gets FINCLOUD_PG_URL=`%s`.", formed, formation.url());
      // One installation throughout, as the README asks of a cluster: every node of every phase signs
      // the audit checkpoints with the same key. (Each node's own generated key made the three nodes
      // distrust the single node's checkpoints: they raised the tampering alarm, signed none, and the
      // verification failed on a chain that was intact.)
      JsonObject installation = new JsonObject().put("audit", new JsonObject()
          .put("signingKey", new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
              .keyIDFromThumbprint(true).generate().toJSONString()));
      for (int nodes : phases) {
        try (ClusterHarness cluster = new ClusterHarness(installation, formation.url())) {
          phase(nodes, failovers, cluster, formation, report, acked, rounds, answers);
        }
      }
      Books.read(formation.url()).check(report, acked);
      report.check(answers.keySet().stream().noneMatch(k -> k.startsWith("500") || k.contains("RISK_DECLINED")),
          "no 500 and no 422 RISK_DECLINED during the run: %s", answers);
      report.note("## Failovers\n\n| # | nodes | killed primary | standby promoted (wait_primary) | 201s between the"
          + " kill and the promotion | first 201 after the promotion, from the kill | nodes ready again | killed"
          + " server back as standby | holds expired once | client answers meanwhile |\n"
          + "|---|---|---|---|---|---|---|---|---|---|\n" + String.join("\n", rounds) + "\n");
    } catch (Throwable failure) {
      report.check(false, "the run completed: %s", failure);
      report.log("formation", safeStatus(formation));
      throw failure;
    } finally {
      formation.stop();
      report.write();
    }
    report.assertAllHeld();
  }

  /** One phase: {@code size} nodes on the formation, bank clients on all of them, {@code failovers} rounds. */
  private static void phase(int size, int failovers, ClusterHarness cluster, PgFormation formation,
      FaultReport report, List<BankWorkload.Acked> acked, List<String> rounds, Map<String, Long> answers)
      throws Exception {
    List<NodeProcess> nodes = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      // one node runs alone (no cluster), as a single-node installation does
      nodes.add(size == 1 ? new NodeProcess("single", ClusterHarness.freePort(),
          Map.of("FINCLOUD_PG_URL", formation.url()), List.of("--config",
          cluster.dir.resolve("fincloud.json").toString()), cluster.dir)
          : cluster.node("node" + i, "all", Map.of()));
    }
    try {
      // one after another: three JVMs booting at once on two shared cores time out on their first
      // database connections (each found by asking the servers which one is the primary)
      nodes.forEach(node -> node.start().awaitReady(BOOT));
      NodeProcess first = nodes.get(0);
      String teller = Api.token(first, "acme-teller");
      String admin = Api.token(first, "acme-admin");
      String bank = Api.openAccount(first, admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      List<String> accounts = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String account = Api.openAccount(first, teller, new JsonObject().put("currency", "EUR"));
        Api.transfer(first, teller, bank, account, 5_000, "EUR");
        accounts.add(account);
      }
      List<NodeProcess> gateways = new CopyOnWriteArrayList<>(nodes);
      String holdsFrom = bank;
      try (BankWorkload clients = new BankWorkload(gateways, teller, accounts, "EUR");
          TrialBalanceWatch watch = new TrialBalanceWatch(gateways, admin, 250)) {
        clients.start(8);
        report.did("%d node(s): opened and funded 12 EUR accounts; started 8 client threads over the node(s)"
            + " (transfers with an Idempotency-Key each, retried with it on 503 or a dropped connection) and a"
            + " trial-balance watcher (every 250 ms).", size);
        NodeProcess.sleep(10_000);
        for (int round = 1; round <= failovers; round++) {
          rounds.add(failover(rounds.size() + 1, nodes, teller, holdsFrom, accounts, formation, clients, report));
          NodeProcess.sleep(8_000);
        }
        clients.close();
        watch.close();
        report.did("%d node(s): stopped the clients: %d transfers acknowledged, %d unanswered after their tries;"
            + " answers: %s.", size, clients.acked.size(), clients.unanswered.size(), clients.outcomes());
        clients.outcomes().forEach((outcome, count) -> answers.merge(outcome, count, Long::sum));
        acked.addAll(clients.acked);
        Map<String, Long> retried = new TreeMap<>();
        for (BankWorkload.Unanswered transfer : clients.unanswered) {
          PostgresKillFaultIT.Resent answer = PostgresKillFaultIT.resend(first, teller, transfer);
          retried.merge(answer.outcome(), 1L, Long::sum);
          if (answer.status() == 201) {
            acked.add(new BankWorkload.Acked(transfer.key(), answer.transferId()));
          }
        }
        report.did("%d node(s): sent the %d unanswered transfers again with their keys: %s.", size,
            clients.unanswered.size(), retried);
        watch.check(report);
      }
      String auditor = Api.token(first, "acme-auditor");
      JsonObject verified = verifyAudit(first, auditor);
      report.check(Boolean.TRUE.equals(verified.getBoolean("valid")), "%d node(s): the audit chain verifies after"
          + " the failovers (GET /v1/audit/verify): valid %s, %s records checked, head seq %s%s", size,
          verified.getBoolean("valid"), verified.getValue("checked"), verified.getValue("headSeq"),
          Boolean.TRUE.equals(verified.getBoolean("valid")) ? "" : "; the verdict: " + verified.encode());
      report.check(nodes.stream().allMatch(NodeProcess::alive), "%d node(s): every node ran through every failover"
          + " without a restart", size);
    } catch (Throwable failure) {
      for (int i = 0; i < nodes.size(); i++) {
        report.log("node " + (i + 1) + " of " + size, nodes.get(i).logText());
      }
      throw failure;
    } finally {
      nodes.forEach(NodeProcess::kill);
    }
  }

  /** One kill -9 of the primary and the engine's failover; answers a row of the table. */
  private static String failover(int round, List<NodeProcess> nodes, String teller, String bank,
      List<String> accounts, PgFormation formation, BankWorkload clients, FaultReport report) {
    Map<String, Long> before = clients.outcomes();
    List<String> holds = holds(nodes, teller, bank, accounts);
    int ackedBefore = clients.acked.size();
    long killedAt = System.nanoTime();
    String killed = formation.crashPrimary();
    Optional<String> promoted = formation.await(FAILOVER, node -> !node.name().equals(killed) && node.writable());
    long promotedMs = (System.nanoTime() - killedAt) / 1_000_000;
    int ackedUntilPromotion = clients.acked.size() - ackedBefore;
    long firstAckMs = PostgresKillFaultIT.nextAckMs(clients, killedAt);
    List<Long> readyAt = nodes.stream().map(node -> PostgresKillFaultIT.awaitStatus(node, true, FAILOVER)).toList();
    long ready = readyAt.contains(-1L) ? -1 : readyAt.stream().mapToLong(Long::longValue).max().orElse(-1);
    formation.restart(killed);
    Optional<String> standby = formation.await(REJOIN, node -> node.name().equals(killed) && node.standby());
    long standbyMs = (System.nanoTime() - killedAt) / 1_000_000;
    String expired = expiredOnce(formation.url(), holds);
    Map<String, Long> during = PostgresKillFaultIT.answersSince(clients, before);
    String nodesLabel = nodes.size() + " node(s)";
    report.check(promoted.isPresent(), "failover %d (%s): the engine promoted the standby after kill -9 of %s's"
        + " keeper and postmaster (%d ms)", round, nodesLabel, killed, promotedMs);
    report.check(firstAckMs >= 0, "failover %d (%s): transfers acknowledged on the new primary, the first %d ms"
        + " after the kill", round, nodesLabel, firstAckMs);
    report.check(standby.isPresent(), "failover %d (%s): %s, restarted once the nodes were ready again, came back as"
        + " the new synchronous standby (%d ms after the kill)", round, nodesLabel, killed, standbyMs);
    report.check(expired.equals("yes"), "failover %d (%s): the %d holds made just before the kill (expiry %d s) were"
        + " voided as EXPIRED after it, each exactly once: %s", round, nodesLabel, holds.size(), HOLD_EXPIRY_SECONDS,
        expired);
    return String.format("| %d | %d | %s | %s | %d | %s | %s | %s | %s | %s |", round, nodes.size(), killed,
        promoted.map(name -> name + " in " + promotedMs + " ms").orElse("no"), ackedUntilPromotion,
        firstAckMs < 0 ? "none" : firstAckMs + " ms", ready < 0 ? "never" : (ready - killedAt) / 1_000_000 + " ms",
        standby.map(name -> name + " in " + standbyMs + " ms").orElse("no"), expired, during);
  }

  /**
   * Holds of 1 cent with a short expiry from the bank's account (it may go negative, so no client's
   * transfer can starve them), made through the nodes in turn; answers their ids.
   */
  private static List<String> holds(List<NodeProcess> nodes, String teller, String bank, List<String> accounts) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < HOLDS_PER_ROUND; i++) {
      Api.Reply reply = Api.post(nodes.get(i % nodes.size()), teller, "/v1/transfers", new JsonObject()
          .put("debitAccountId", bank).put("creditAccountId", accounts.get(i)).put("amount", 1)
          .put("currency", "EUR").put("mode", "PENDING").put("expiresInSeconds", HOLD_EXPIRY_SECONDS),
          UUID.randomUUID().toString());
      if (reply.status() != 201 || !"PENDING".equals(reply.body().getString("status"))) {
        throw new AssertionError("a hold before the kill: " + reply);
      }
      ids.add(reply.body().getString("id"));
    }
    return ids;
  }

  /** "yes" when every hold is VOIDED EXPIRED with one TRANSFER_VOIDED record each (waits up to 30 s); else what was found. */
  private static String expiredOnce(String pgUrl, List<String> holds) {
    String ids = "'" + String.join("','", holds) + "'";
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<String> states = List.of();
    long voids = -1;
    while (System.nanoTime() < deadline) {
      states = Api.column(pgUrl, "SELECT status || ' ' || coalesce(void_reason, '') FROM transfers WHERE id IN ("
          + ids + ")");
      voids = Api.number(pgUrl, "SELECT count(*) FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE action ="
          + " 'TRANSFER_VOIDED' AND entity_id IN (" + ids + ")");
      if (states.size() == holds.size() && states.stream().allMatch("VOIDED EXPIRED"::equals)
          && voids == holds.size()) {
        return "yes";
      }
      NodeProcess.sleep(250);
    }
    return "no: states " + states + ", " + voids + " TRANSFER_VOIDED records";
  }

  /** GET /v1/audit/verify, asked again (5 tries, 5 s apart) while it answers 503 (a busy node's request deadline). */
  private static JsonObject verifyAudit(NodeProcess node, String auditor) {
    Api.Reply reply = Api.get(node, auditor, "/v1/audit/verify");
    for (int tries = 1; tries < 5 && reply.status() == 503; tries++) {
      NodeProcess.sleep(5_000);
      reply = Api.get(node, auditor, "/v1/audit/verify");
    }
    return reply.status() == 200 ? reply.body() : reply.body().put("answer", reply.status());
  }

  private static String safeStatus(PgFormation formation) {
    try {
      return formation.status();
    } catch (RuntimeException e) {
      return String.valueOf(e.getMessage());
    }
  }
}
