package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault: nodes of a three-node cluster killed with kill -9 again and again, and one node frozen
 * (SIGSTOP) for longer than the cluster's heartbeat timeout, then thawed (SIGCONT), all under a
 * bank workload through every live gateway. Hazelcast's heartbeat timeout is lowered to
 * {@code -Dfaults.cluster.heartbeatSeconds} (5). The nodes are killed in turn,
 * {@code -Dfaults.cluster.kills} times (10), each started again (and ready) before the next kill.
 * Checked: the trial balance, read every 250 ms throughout through the live gateways, is zero with
 * entries = 2 x postedTransfers every time; at the end every acknowledged transfer is posted
 * exactly once (SQL); clients saw nothing worse than "try again"; the frozen node is dropped from
 * the cluster while frozen, and serves transfers again after it is thawed.
 * Report: {@code loadtest/results/<date>-faults-node-kill.md}.
 */
class NodeKillFaultIT {
  private static final Duration BOOT = Duration.ofSeconds(150);

  @Test
  @Timeout(1500)
  void killedAndFrozenNodesCostNoMoney() throws Exception {
    int kills = Integer.getInteger("faults.cluster.kills", 10);
    int heartbeat = Integer.getInteger("faults.cluster.heartbeatSeconds", 5);
    FaultReport report = new FaultReport("node-kill", "Fault: kill -9 and SIGSTOP of nodes in a 3-node cluster");
    try (ClusterHarness cluster = new ClusterHarness(new JsonObject()
        .put("gateway", new JsonObject().put("attemptTimeoutMs", 1500))
        .put("risk", new JsonObject().put("timeoutMs", 1000)))) {
      Map<String, String> env = Map.of("FINCLOUD_CLUSTER_HEARTBEAT_SECONDS", Integer.toString(heartbeat));
      List<NodeProcess> nodes = List.of(cluster.node("node1", "all", env), cluster.node("node2", "all", env),
          cluster.node("node3", "all", env));
      try {
        run(cluster, nodes, kills, heartbeat, report);
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

  private static void run(ClusterHarness cluster, List<NodeProcess> nodes, int kills, int heartbeat, FaultReport report) {
    ClusterHarness.startAll(nodes, BOOT);
    String teller = Api.token(nodes.get(0), "acme-teller");
    String admin = Api.token(nodes.get(1), "acme-admin");
    String operator = Api.token(nodes.get(0), "platform-operator");
    String bank = Api.openAccount(nodes.get(2), admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
    List<String> accounts = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      NodeProcess via = nodes.get(i % 3);
      String account = Api.openAccount(via, teller, new JsonObject().put("currency", "EUR"));
      Api.transfer(via, teller, bank, account, 5_000, "EUR");
      accounts.add(account);
    }
    report.did("Started 3 node JVMs (all roles, `-Xmx384m`, serial GC, C1 only) on loopback, clustered over Hazelcast"
        + " (own cluster name and ports, heartbeat timeout %d s), sharing one PostgreSQL database; opened 12 EUR"
        + " accounts funded with 50.00 each.", heartbeat);

    List<String> rows = new ArrayList<>();
    try (BankWorkload clients = new BankWorkload(nodes, teller, accounts, "EUR");
        TrialBalanceWatch watch = new TrialBalanceWatch(clients.gateways, admin, 250)) {
      clients.start(6);
      report.did("Started 6 client threads through every live gateway in turn (transfers with an Idempotency-Key"
          + " each, also the reference; the same key again on 503, 409 IDEMPOTENCY_IN_FLIGHT, a risk fallback"
          + " refusal or a dropped connection) and a watcher reading the trial balance every 250 ms.");
      NodeProcess.sleep(5_000);
      for (int kill = 1; kill <= kills; kill++) {
        NodeProcess victim = nodes.get((kill - 1) % 3);
        int acked = clients.acked.size();
        clients.gateways.remove(victim);
        victim.kill();
        long killed = System.nanoTime();
        NodeProcess.sleep(1_000);
        victim.start().awaitReady(BOOT);
        long readyMs = (System.nanoTime() - killed) / 1_000_000;
        clients.gateways.add(victim);
        // Give the restarted node a moment to take traffic (and Hazelcast to settle its partitions)
        // before the next kill.
        NodeProcess.sleep(4_000);
        rows.add(String.format("| kill -9 #%d | %s | ready again %d ms after the kill | %d | %s |", kill, victim.name,
            readyMs, clients.acked.size() - acked, watch.last()));
      }
      report.did("Killed a node with kill -9 %d times (node1, node2, node3 in turn), each time starting it again"
          + " 1 s later and waiting for its readiness, then 4 s of traffic before the next kill.", kills);

      NodeProcess frozen = nodes.get(1);
      int ackedBefore = clients.acked.size();
      clients.gateways.remove(frozen);
      frozen.signal("STOP");
      long stopped = System.nanoTime();
      long droppedMs = -1;
      long freezeMs = (heartbeat + 5) * 1000L;
      while (System.nanoTime() - stopped < freezeMs * 1_000_000) {
        if (droppedMs < 0 && members(nodes.get(0), operator) == 2) {
          droppedMs = (System.nanoTime() - stopped) / 1_000_000;
        }
        NodeProcess.sleep(250);
      }
      frozen.signal("CONT");
      long thawed = System.nanoTime();
      report.did("Froze node2 with SIGSTOP for %d s (heartbeat timeout %d s), then SIGCONT.", freezeMs / 1000, heartbeat);
      report.check(droppedMs >= 0, "the cluster dropped the frozen node while it was frozen: node1 listed 2 members"
          + " %d ms after the SIGSTOP", droppedMs);
      long backMs = -1;
      long servingMs = -1;
      List<String> timeline = new ArrayList<>();
      String lastView = "";
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline && servingMs < 0) {
        int fromNode1 = members(nodes.get(0), operator);
        int fromNode3 = members(nodes.get(2), operator);
        int ready = frozen.status("/health/ready");
        String view = String.format("node1 lists %d members, node3 %d, node2 /health/ready %d", fromNode1, fromNode3, ready);
        if (!view.equals(lastView)) {
          timeline.add(String.format("%d ms: %s", (System.nanoTime() - thawed) / 1_000_000, view));
          lastView = view;
        }
        if (backMs < 0 && fromNode1 == 3 && fromNode3 == 3 && ready == 200) {
          backMs = (System.nanoTime() - thawed) / 1_000_000;
        }
        if (backMs >= 0 && Api.post(frozen, teller, "/v1/transfers", new JsonObject().put("debitAccountId", accounts.get(0))
            .put("creditAccountId", accounts.get(1)).put("amount", 1).put("currency", "EUR")).status() == 201) {
          servingMs = (System.nanoTime() - thawed) / 1_000_000;
        }
        NodeProcess.sleep(500);
      }
      report.did("After the SIGCONT (time since it): %s.", String.join("; ", timeline));
      report.check(backMs >= 0, "after SIGCONT the thawed node was a member again (node1 and node3 list 3 nodes)"
          + " and ready, %d ms after the SIGCONT", backMs);
      report.check(servingMs >= 0, "the thawed node served a transfer through its own gateway (201), %d ms after the"
          + " SIGCONT", servingMs);
      // It takes its share again: calls are local first, so its ledger writer commits the
      // transfers of the clients that reach its gateway (as behind a load balancer).
      clients.gateways.add(frozen);
      long groups = ledgerGroups(frozen);
      long reachedMs = -1;
      long reachDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < reachDeadline && reachedMs < 0) {
        NodeProcess.sleep(500);
        if (ledgerGroups(frozen) > groups) {
          reachedMs = (System.nanoTime() - thawed) / 1_000_000;
        }
      }
      report.check(reachedMs >= 0, "the thawed node takes its share again (its ledger writer commits the transfers of"
          + " clients that reach its gateway), %d ms after the SIGCONT", reachedMs);
      rows.add(String.format("| SIGSTOP %d s, SIGCONT | node2 | dropped after %d ms; member and ready again %d ms after"
          + " SIGCONT | %d | %s |", freezeMs / 1000, droppedMs, backMs, clients.acked.size() - ackedBefore, watch.last()));
      NodeProcess.sleep(5_000);
      clients.close();
      watch.close();
      report.did("Stopped the clients: %d transfers acknowledged, %d left unanswered after 20 tries; answers by kind: %s.",
          clients.acked.size(), clients.unanswered.size(), clients.outcomes());

      Books books = Books.read(cluster.pgUrl);
      books.check(report, new ArrayList<>(clients.acked));
      watch.check(report);
      report.check(clients.errors().keySet().stream().allMatch(k -> List.of("io", "503 UNAVAILABLE",
          "409 IDEMPOTENCY_IN_FLIGHT", "422 RISK_DECLINED").contains(k)),
          "clients were told nothing worse than to try again (io, 503, 409 IDEMPOTENCY_IN_FLIGHT, a risk fallback"
              + " refusal): %s", clients.errors());
      report.note("## Faults one by one\n\n| fault | node | recovery | transfers acknowledged meanwhile | the last trial"
          + " balance read |\n|---|---|---|---|---|\n" + String.join("\n", rows) + "\n");
    }
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

  /** How many nodes {@code GET /v1/cluster} lists (-1 without an answer). */
  private static int members(NodeProcess node, String operatorToken) {
    try {
      Api.Reply reply = Api.get(node, operatorToken, "/v1/cluster");
      return reply.status() == 200 ? reply.body().getJsonArray("nodes").size() : -1;
    } catch (RuntimeException e) {
      return -1;
    }
  }
}
