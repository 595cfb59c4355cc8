package fincloud.cluster;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault: nodes of a three-node cluster killed with kill -9 again and again, nodes frozen (SIGSTOP)
 * for longer than the cluster's heartbeat timeout and thawed (SIGCONT), then a rolling restart
 * (SIGTERM, start, ready, next node), all in one run under a bank workload through every live
 * gateway. Hazelcast's heartbeat timeout is lowered to {@code -Dfaults.cluster.heartbeatSeconds}
 * (7, the test clusters'). The nodes are killed in turn, {@code -Dfaults.cluster.kills} times (10),
 * each started again (and ready) once the others no longer list it, before the next kill; {@code
 * -Dfaults.cluster.freezes} (2) freezes for 10 s, of the oldest member (Hazelcast's master), then of
 * the youngest. {@link NodeLossShortIT} is the CI suite's short version.
 * Checked: the trial balance, read every 250 ms throughout through the live gateways, is zero with
 * entries = 2 x postedTransfers every time; at the end every acknowledged transfer is posted
 * exactly once (SQL); every client's last answer, retries included, is 200, 201 or
 * INSUFFICIENT_FUNDS; every tenant's audit chain verifies through the API on every node; a killed
 * node is dropped from the member list within heartbeat + 5 s; while a node is frozen and until it
 * is back the two others list each other (no split); a thawed one is a member again within 15 s and
 * serves transfers (when the others dropped it while frozen is reported, not checked: the issue
 * asks for the way back).
 * Report: {@code loadtest/results/<date>-faults-node-kill.md}.
 */
class NodeKillFaultIT {
  private static final Duration BOOT = Duration.ofSeconds(150);
  /**
   * How soon a thawed node must be a member again: it merges back within about 10 s
   * (docs/design.md, "Failure handling"); a node that cannot do so in 15 s should leave and rejoin.
   */
  private static final long REJOIN_LIMIT_MS = 15_000;
  /** How long a node stays frozen: the 10 s, past the heartbeat timeout. */
  private static final long FREEZE_MS = 10_000;

  @Test
  @Timeout(2400)
  void killedFrozenAndRestartedNodesCostNoMoney() throws Exception {
    run("node-kill", Path.of(System.getProperty("fincloud.results", "loadtest/results")),
        Integer.getInteger("faults.cluster.kills", 10), Integer.getInteger("faults.cluster.freezes", 2),
        Integer.getInteger("faults.cluster.heartbeatSeconds", 7));
  }

  /**
   * One run, its report written to {@code folder} as {@code <date>-faults-<name>.md}; fails when a
   * check failed. Freezes alternate between the oldest member (Hazelcast's master) and the youngest.
   */
  static void run(String name, Path folder, int kills, int freezes, int heartbeat) throws Exception {
    FaultReport report = new FaultReport(name,
        "Fault: kill -9, SIGSTOP and a rolling restart of nodes in a 3-node cluster", folder);
    try (ClusterHarness cluster = new ClusterHarness(new JsonObject()
        .put("gateway", new JsonObject().put("attemptTimeoutMs", 1500))
        .put("risk", new JsonObject().put("timeoutMs", 1000))
        // One checkpoint key for the cluster, as README's cluster setup asks: with a key file of its
        // own per node, every node but the signer found the chain "not signed by a trusted key".
        .put("audit", new JsonObject().put("signingKey", new ECKeyGenerator(Curve.P_256)
            .keyID("fault-run").generate().toJSONString())))) {
      Map<String, String> env = Map.of("FINCLOUD_CLUSTER_HEARTBEAT_SECONDS", Integer.toString(heartbeat));
      List<NodeProcess> nodes = List.of(cluster.node("node1", "all", env), cluster.node("node2", "all", env),
          cluster.node("node3", "all", env));
      try {
        new Run(cluster, nodes, heartbeat, report).go(kills, freezes);
      } catch (Throwable failure) {
        report.check(false, "the run completed: %s", failure);
        for (NodeProcess node : nodes) {
          report.log(node.name, node.logText());
        }
        throw failure;
      } finally {
        report.write();
      }
    }
    report.assertAllHeld();
  }

  /** One fault run: the cluster, its clients and the report's table of faults. */
  private static final class Run {
    private final ClusterHarness cluster;
    private final List<NodeProcess> nodes;
    private final int heartbeat;
    private final FaultReport report;
    private final List<String> rows = new ArrayList<>();
    private String teller;
    private String operator;
    private List<String> accounts;
    private BankWorkload clients;
    private TrialBalanceWatch watch;

    Run(ClusterHarness cluster, List<NodeProcess> nodes, int heartbeat, FaultReport report) {
      this.cluster = cluster;
      this.nodes = nodes;
      this.heartbeat = heartbeat;
      this.report = report;
    }

    void go(int kills, int freezes) {
      ClusterHarness.startAll(nodes, BOOT);
      teller = Api.token(nodes.get(0), "acme-teller");
      String admin = Api.token(nodes.get(1), "acme-admin");
      operator = Api.token(nodes.get(0), "platform-operator");
      String bank = Api.openAccount(nodes.get(2), admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      accounts = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        NodeProcess via = nodes.get(i % 3);
        String account = Api.openAccount(via, teller, new JsonObject().put("currency", "EUR"));
        Api.transfer(via, teller, bank, account, 5_000, "EUR");
        accounts.add(account);
      }
      report.did("Started 3 node JVMs (all roles, `-Xmx384m`, serial GC, C1 only) on loopback, clustered over Hazelcast"
          + " (own cluster name and ports, heartbeat timeout %d s), sharing one PostgreSQL database; opened 12 EUR"
          + " accounts funded with 50.00 each.", heartbeat);

      try (BankWorkload bankClients = new BankWorkload(nodes, teller, accounts, "EUR");
          TrialBalanceWatch balanceWatch = new TrialBalanceWatch(bankClients.gateways, admin, 250)) {
        clients = bankClients;
        watch = balanceWatch;
        clients.start(6);
        report.did("Started 6 client threads through every live gateway in turn (transfers with an Idempotency-Key"
            + " each, also the reference; the same key again on 503, 409 IDEMPOTENCY_IN_FLIGHT, a risk fallback"
            + " refusal or a dropped connection, at most 20 tries 100 ms apart; a read asked again likewise) and a"
            + " watcher reading the trial balance every 250 ms.");
        NodeProcess.sleep(5_000);

        List<Long> detections = new ArrayList<>();
        for (int kill = 1; kill <= kills; kill++) {
          detections.add(kill(kill, nodes.get((kill - 1) % 3)));
        }
        report.did("Killed a node with kill -9 %d times (node1, node2, node3 in turn); each time waited until both"
            + " other nodes listed it no more, started it again (at least 1 s after the kill), waited for its"
            + " readiness and for all three to list 3 members, then 4 s of traffic before the next fault.", kills);
        report.check(!detections.isEmpty() && detections.stream().allMatch(ms -> ms >= 0 && ms <= (heartbeat + 5) * 1000L),
            "every killed node was dropped from both other nodes' member lists within the heartbeat timeout + 5 s"
                + " (%d ms): %s ms after the kill", (heartbeat + 5) * 1000L, detections);

        for (int freeze = 1; freeze <= freezes; freeze++) {
          List<NodeProcess> listed = Membership.listed(nodes, operator);
          freeze(freeze, freeze % 2 == 1 ? listed.get(0) : listed.get(listed.size() - 1));
        }

        for (NodeProcess node : nodes) {
          restart(node);
        }
        report.did("Rolling restart: each node in turn (node1, node2, node3) taken out of the clients' rotation,"
            + " stopped with SIGTERM, started again, put back once ready and all three list 3 members, then 3 s of"
            + " traffic before the next.");

        NodeProcess.sleep(5_000);
        clients.close();
        watch.close();
        report.did("Stopped the clients: %d transfers acknowledged, %d left unanswered after 20 tries; every answer"
            + " by kind, tries included: %s; the last answer of each read and transfer: %s.", clients.acked.size(),
            clients.unanswered.size(), clients.outcomes(), clients.finalAnswers());

        Books books = Books.read(cluster.pgUrl);
        books.check(report, new ArrayList<>(clients.acked));
        watch.check(report);
        report.check(clients.finalErrors().isEmpty() && clients.unanswered.isEmpty(),
            "every read and transfer ended, after the client's retries, in 200, 201 or 422 INSUFFICIENT_FUNDS: %s",
            clients.finalAnswers());
        report.check(clients.errors().keySet().stream().allMatch(k -> List.of("io", "503 UNAVAILABLE",
            "409 IDEMPOTENCY_IN_FLIGHT", "422 RISK_DECLINED").contains(k)),
            "the tries on the way were told nothing worse than to try again (io, 503, 409 IDEMPOTENCY_IN_FLIGHT, a"
                + " risk fallback refusal): %s", clients.errors());
        new ChainAudit(cluster.pgUrl, nodes).check(report);
        report.note("## Faults one by one\n\nTimes are from the signal (kill -9, SIGSTOP, SIGTERM). \"Dropped\": both"
            + " other nodes' `GET /v1/cluster` no longer list the node's id; \"member again\": all three list 3 members"
            + " (and, after SIGCONT, the thawed node is ready).\n\n| fault | node | dropped | recovery | transfers"
            + " acknowledged meanwhile | the last trial balance read |\n|---|---|---|---|---|---|\n"
            + String.join("\n", rows) + "\n");
      }
    }

    /** kill -9 of the victim, restarted once the others dropped it; answers the time they took to drop it (-1: never). */
    private long kill(int number, NodeProcess victim) {
      List<NodeProcess> others = others(victim);
      String id = Membership.nodeId(victim, operator);
      int acked = clients.acked.size();
      clients.gateways.remove(victim);
      victim.kill();
      long killed = System.nanoTime();
      long droppedMs = Membership.awaitDropped(others, operator, id, killed, Duration.ofSeconds(60));
      NodeProcess.sleep(Math.max(0, 1_000 - since(killed)));
      victim.start().awaitReady(BOOT);
      long readyMs = since(killed);
      clients.gateways.add(victim);
      long memberMs = Membership.awaitMembers(nodes, operator, 3, killed, Duration.ofSeconds(60));
      NodeProcess.sleep(4_000);
      rows.add(String.format("| kill -9 #%d | %s | %d ms | ready again %d ms after the kill; 3 members listed by all"
          + " at %d ms | %d | %s |", number, victim.name, droppedMs, readyMs, memberMs, clients.acked.size() - acked,
          watch.last()));
      return droppedMs;
    }

    /** SIGSTOP for 10 s, then SIGCONT: the node is dropped, comes back, serves and takes its share. */
    private void freeze(int number, NodeProcess frozen) {
      List<NodeProcess> others = others(frozen);
      String id = Membership.nodeId(frozen, operator);
      int ackedBefore = clients.acked.size();
      clients.gateways.remove(frozen);
      frozen.signal("STOP");
      long stopped = System.nanoTime();
      long freezeMs = FREEZE_MS;
      String[] otherIds = {Membership.nodeId(others.get(0), operator), Membership.nodeId(others.get(1), operator)};
      int looks = 0;
      int apart = 0;
      long droppedMs = -1;
      while (since(stopped) < freezeMs) {
        looks++;
        apart += Membership.apart(others.get(0), otherIds[0], others.get(1), otherIds[1], operator) ? 1 : 0;
        if (droppedMs < 0 && Membership.dropped(others, operator, id)) {
          droppedMs = since(stopped);
        }
        NodeProcess.sleep(250);
      }
      frozen.signal("CONT");
      long thawed = System.nanoTime();
      report.did("Freeze #%d: froze %s with SIGSTOP for %d s (heartbeat timeout %d s), then SIGCONT; both other"
          + " nodes no longer listed it %s.", number, frozen.name, freezeMs / 1000, heartbeat,
          droppedMs >= 0 ? droppedMs + " ms after the SIGSTOP" : "at no time while it was frozen");

      long backMs = -1;
      long servingMs = -1;
      List<String> timeline = new ArrayList<>();
      String lastView = "";
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline && servingMs < 0) {
        looks++;
        apart += Membership.apart(others.get(0), otherIds[0], others.get(1), otherIds[1], operator) ? 1 : 0;
        int fromFirst = Membership.count(others.get(0), operator);
        int fromSecond = Membership.count(others.get(1), operator);
        int ready = frozen.status("/health/ready");
        String view = String.format("%s lists %d members, %s %d, %s /health/ready %d", others.get(0).name, fromFirst,
            others.get(1).name, fromSecond, frozen.name, ready);
        if (!view.equals(lastView)) {
          timeline.add(String.format("%d ms: %s", since(thawed), view));
          lastView = view;
        }
        if (backMs < 0 && fromFirst == 3 && fromSecond == 3 && ready == 200) {
          backMs = since(thawed);
        }
        if (backMs >= 0 && Api.post(frozen, teller, "/v1/transfers", new JsonObject().put("debitAccountId", accounts.get(0))
            .put("creditAccountId", accounts.get(1)).put("amount", 1).put("currency", "EUR")).status() == 201) {
          servingMs = since(thawed);
        }
        NodeProcess.sleep(250);
      }
      report.did("Freeze #%d, after the SIGCONT (time since it): %s.", number, String.join("; ", timeline));
      report.check(backMs >= 0 && backMs <= REJOIN_LIMIT_MS, "freeze #%d: after SIGCONT the thawed %s was a member"
          + " again (both other nodes list 3) and ready within %d ms: %d ms after the SIGCONT", number, frozen.name,
          REJOIN_LIMIT_MS, backMs);
      report.check(apart == 0, "freeze #%d: the two running nodes listed each other throughout (no split): apart in"
          + " %d of %d looks (every 250 ms)", number, apart, looks);
      report.check(servingMs >= 0, "freeze #%d: the thawed %s served a transfer through its own gateway (201), %d ms"
          + " after the SIGCONT", number, frozen.name, servingMs);
      // It takes its share again: calls are local first, so its ledger writer commits the
      // transfers of the clients that reach its gateway (as behind a load balancer).
      clients.gateways.add(frozen);
      long groups = ledgerGroups(frozen);
      long reachedMs = -1;
      long reachDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < reachDeadline && reachedMs < 0) {
        NodeProcess.sleep(500);
        if (ledgerGroups(frozen) > groups) {
          reachedMs = since(thawed);
        }
      }
      report.check(reachedMs >= 0, "freeze #%d: the thawed %s takes its share again (its ledger writer commits the"
          + " transfers of clients that reach its gateway), %d ms after the SIGCONT", number, frozen.name, reachedMs);
      NodeProcess.sleep(4_000);
      rows.add(String.format("| SIGSTOP %d s, SIGCONT #%d | %s | %d ms | member and ready again %d ms after SIGCONT,"
          + " a transfer through it at %d ms | %d | %s |", freezeMs / 1000, number, frozen.name, droppedMs, backMs,
          servingMs, clients.acked.size() - ackedBefore, watch.last()));
    }

    /** One step of the rolling restart: out of the rotation, SIGTERM, start, ready, back in. */
    private void restart(NodeProcess node) {
      List<NodeProcess> others = others(node);
      String id = Membership.nodeId(node, operator);
      int acked = clients.acked.size();
      clients.gateways.remove(node);
      long stopping = System.nanoTime();
      boolean exited = node.terminate(Duration.ofSeconds(60));
      long exitedMs = since(stopping);
      report.check(exited, "rolling restart: %s exited on SIGTERM (%d ms)", node.name, exitedMs);
      if (!exited) {
        node.kill();
      }
      long droppedMs = Membership.awaitDropped(others, operator, id, stopping, Duration.ofSeconds(30));
      node.start().awaitReady(BOOT);
      long readyMs = since(stopping);
      clients.gateways.add(node);
      long memberMs = Membership.awaitMembers(nodes, operator, 3, stopping, Duration.ofSeconds(60));
      NodeProcess.sleep(3_000);
      rows.add(String.format("| rolling restart (SIGTERM) | %s | %d ms | exited %d ms after SIGTERM, ready again at"
          + " %d ms; 3 members listed by all at %d ms | %d | %s |", node.name, droppedMs, exitedMs, readyMs, memberMs,
          clients.acked.size() - acked, watch.last()));
    }

    private List<NodeProcess> others(NodeProcess node) {
      return nodes.stream().filter(other -> other != node).toList();
    }
  }

  private static long since(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000;
  }

  /** How many ledger groups this node's writer has committed (from its /metrics). */
  private static long ledgerGroups(NodeProcess node) {
    try {
      for (String line : node.management("/metrics").split("\n")) {
        if (line.startsWith("fincloud_ledger_group_size_count")) {
          return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    } catch (RuntimeException noAnswer) {
      // counted as none
    }
    return 0;
  }
}
