package fincloud.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's upgrade: a rolling restart of a three-node cluster under a bank workload. Each node
 * in turn is taken out of the clients' rotation (as a load balancer does when its readiness goes
 * down), stopped with SIGTERM, started again and put back once ready, then the next. Checked: no
 * client saw an error (every answer 200, 201 or 422 INSUFFICIENT_FUNDS, retries included), every
 * acknowledged transfer is in the books once, the trial balance read every 250 ms stayed zero.
 */
class RollingRestartIT {
  private static final Duration BOOT = Duration.ofSeconds(150);

  @Test
  @Timeout(900)
  void everyNodeRestartedInTurnUnderLoadCostsTheClientsNothing() throws Exception {
    FaultReport report = new FaultReport("rolling-restart", "A rolling restart of a 3-node cluster under load");
    try (ClusterHarness cluster = new ClusterHarness(new JsonObject()
        .put("gateway", new JsonObject().put("attemptTimeoutMs", 1500))
        .put("risk", new JsonObject().put("timeoutMs", 1000)))) {
      List<NodeProcess> nodes = List.of(cluster.node("node1", "all", Map.of()), cluster.node("node2", "all", Map.of()),
          cluster.node("node3", "all", Map.of()));
      ClusterHarness.startAll(nodes, BOOT);
      String teller = Api.token(nodes.get(0), "acme-teller");
      String admin = Api.token(nodes.get(1), "acme-admin");
      String bank = Api.openAccount(nodes.get(2), admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      List<String> accounts = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String account = Api.openAccount(nodes.get(i % 3), teller, new JsonObject().put("currency", "EUR"));
        Api.transfer(nodes.get(i % 3), teller, bank, account, 5_000, "EUR");
        accounts.add(account);
      }
      try (BankWorkload clients = new BankWorkload(nodes, teller, accounts, "EUR");
          TrialBalanceWatch watch = new TrialBalanceWatch(clients.gateways, admin, 250)) {
        clients.start(6);
        NodeProcess.sleep(3_000);
        for (NodeProcess node : nodes) {
          restart(node, clients, report);
        }
        NodeProcess.sleep(3_000);
        clients.close();
        watch.close();
        report.did("%d transfers acknowledged, %d unanswered; answers by kind: %s", clients.acked.size(),
            clients.unanswered.size(), clients.outcomes());
        Books.read(cluster.pgUrl).check(report, new ArrayList<>(clients.acked));
        watch.check(report);
        report.check(clients.errors().isEmpty() && clients.unanswered.isEmpty(),
            "no client saw an error, retries included: %s", clients.errors());
      }
    }
    report.assertAllHeld();
  }

  private static void restart(NodeProcess node, BankWorkload clients, FaultReport report) {
    clients.gateways.remove(node);
    long stopping = System.nanoTime();
    assertThat(node.terminate(Duration.ofSeconds(60))).as("%s exits on SIGTERM", node.name).isTrue();
    long stoppedMs = (System.nanoTime() - stopping) / 1_000_000;
    node.start().awaitReady(BOOT);
    clients.gateways.add(node);
    report.did("%s: exited %d ms after SIGTERM, ready again %d ms after it", node.name, stoppedMs,
        (System.nanoTime() - stopping) / 1_000_000);
    NodeProcess.sleep(3_000);
  }
}
