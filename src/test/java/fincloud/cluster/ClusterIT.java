package fincloud.cluster;

import fincloud.testkit.TestSql;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three node JVMs (every role) on loopback share one PostgreSQL and form a Hazelcast cluster; a
 * bank workload runs through all their gateways while one node is killed with kill -9 and
 * restarted, a fourth joins and then leaves gracefully. Money is conserved, every acknowledged
 * transfer is in the books exactly once, and joining and leaving cost the clients nothing.
 * The steps share the cluster and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 150)
class ClusterIT {
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final String ALL_ROLES = "all";

  private ClusterHarness cluster;
  private NodeProcess node1;
  private NodeProcess node2;
  private NodeProcess node3;
  private NodeProcess node4;
  private String teller;
  private String admin;
  /** The platform operator: GET /v1/cluster is an operator's route. */
  private String operator;
  private final List<String> accounts = new ArrayList<>();

  @BeforeAll
  void startThreeNodes() throws Exception {
    cluster = new ClusterHarness(new JsonObject()
        .put("gateway", new JsonObject().put("attemptTimeoutMs", 1500))
        .put("risk", new JsonObject().put("timeoutMs", 1000)));
    try {
      node1 = cluster.node("node1", ALL_ROLES, Map.of());
      node2 = cluster.node("node2", ALL_ROLES, Map.of());
      node3 = cluster.node("node3", ALL_ROLES, Map.of());
      ClusterHarness.startAll(List.of(node1, node2, node3), BOOT);
      // A token issued by one node is accepted by every node (the signing keys are in the database).
      teller = Api.token(node1, "acme-teller");
      admin = Api.token(node2, "acme-admin");
      operator = Api.token(node1, "platform-operator");
      String bank = Api.openAccount(node3, admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      List<NodeProcess> nodes = List.of(node1, node2, node3);
      for (int i = 0; i < 12; i++) {
        NodeProcess via = nodes.get(i % 3);
        String account = Api.openAccount(via, teller, new JsonObject().put("currency", "EUR"));
        Api.transfer(via, teller, bank, account, 5_000, "EUR");
        accounts.add(account);
      }
    } catch (Throwable failure) {
      cluster.close();
      throw failure;
    }
  }

  @AfterAll
  void stopEveryNode() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void everyNodeListsTheClusterAndIsReady() {
    Api.Reply reply = Api.get(node2, operator, "/v1/cluster");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body().getBoolean("clustered")).isTrue();
    JsonArray nodes = reply.body().getJsonArray("nodes");
    assertThat(nodes).hasSize(3);
    assertThat(nodes.stream().map(n -> ((JsonObject) n).getBoolean("self")).filter(Boolean::booleanValue)).hasSize(1);
    nodes.forEach(n -> {
      JsonObject node = (JsonObject) n;
      assertThat(node.getJsonArray("roles").getList()).containsExactlyInAnyOrder("gateway", "accounts", "payments", "risk", "audit");
      assertThat(node.getString("joinedAt")).isNotBlank();
    });
    assertThat(Api.get(node1, teller, "/v1/cluster").status()).isEqualTo(403);
    JsonObject ready = new JsonObject(node3.management("/health/ready"));
    assertThat(ready.getString("status")).isEqualTo("UP");
    assertThat(ready.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("id"))).contains("cluster", "database");
  }

  @Test
  @Order(2)
  void aNodeKilledAndRestartedUnderLoadLosesNothingAndDoublesNothing() {
    try (BankWorkload bank = new BankWorkload(List.of(node1, node2, node3), teller, accounts, "EUR")) {
      bank.start(6);
      NodeProcess.sleep(5_000);
      node3.kill();
      bank.gateways.remove(node3);
      int ackedAtKill = bank.acked.size();
      NodeProcess.sleep(2_000);
      node3.start().awaitReady(BOOT);
      bank.gateways.add(node3);
      NodeProcess.sleep(6_000);
      bank.close();
      System.out.printf("kill -9 and restart: %d transfers acknowledged (%d before the kill); answers %s%n",
          bank.acked.size(), ackedAtKill, bank.outcomes());
      assertThat(bank.acked.size()).isGreaterThan(ackedAtKill);
      // Clients may be told to try again while the dead node is found out, never anything worse.
      assertThat(bank.errors().keySet()).isSubsetOf(
          Set.of("io", "503 UNAVAILABLE", "409 IDEMPOTENCY_IN_FLIGHT", "422 RISK_DECLINED"));
      assertBooks(bank.acked);
      assertThat(ledgerGroups(node3)).as("the restarted node takes its share of transfers").isPositive();
    }
  }

  @Test
  @Order(3)
  void holdsExpireOnceWithThreeNodes() {
    List<NodeProcess> nodes = List.of(node1, node2, node3);
    List<String> holds = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Api.Reply reply = Api.post(nodes.get(i % 3), teller, "/v1/transfers", new JsonObject()
          .put("debitAccountId", accounts.get(i)).put("creditAccountId", accounts.get(i + 1)).put("amount", 7)
          .put("currency", "EUR").put("mode", "PENDING").put("expiresInSeconds", 1));
      assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
      assertThat(reply.body().getString("status")).isEqualTo("PENDING");
      holds.add(reply.body().getString("id"));
    }
    String ids = "'" + String.join("','", holds) + "'";
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (Api.number(cluster.pgUrl, "SELECT count(*) FROM transfers WHERE status = 'PENDING' AND id IN (" + ids + ")") > 0
        && System.nanoTime() < deadline) {
      NodeProcess.sleep(250);
    }
    assertThat(Api.column(cluster.pgUrl, "SELECT status || ' ' || coalesce(void_reason, '') FROM transfers WHERE id IN (" + ids + ")"))
        .hasSize(6).containsOnly("VOIDED EXPIRED");
    assertThat(Api.number(cluster.pgUrl, "SELECT count(*) FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE action = 'TRANSFER_VOIDED' AND entity_id IN (" + ids + ")"))
        .as("each hold voided once").isEqualTo(6);
    assertThat(Api.number(cluster.pgUrl, "SELECT coalesce(sum(pending), 0) FROM accounts")).isZero();
    JsonObject seen = Api.get(node2, teller, "/v1/transfers/" + holds.get(0)).body();
    assertThat(seen.getString("status")).isEqualTo("VOIDED");
    assertThat(seen.getString("voidReason")).isEqualTo("EXPIRED");
  }

  @Test
  @Order(4)
  void aFourthNodeTakesItsShareWithoutAClientError() {
    try (BankWorkload bank = new BankWorkload(List.of(node1, node2, node3), teller, accounts, "EUR")) {
      bank.start(4);
      NodeProcess.sleep(2_000);
      node4 = cluster.node("node4", ALL_ROLES, Map.of());
      long started = System.nanoTime();
      node4.start().awaitReady(BOOT);
      long readyMs = (System.nanoTime() - started) / 1_000_000;
      // A node that runs every role serves the requests its own gateway takes (calls are local
      // first), so its share comes through clients that reach it, as behind a load balancer.
      bank.gateways.add(node4);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (ledgerGroups(node4) == 0 && System.nanoTime() < deadline) {
        NodeProcess.sleep(200);
      }
      long servingMs = (System.nanoTime() - started) / 1_000_000;
      NodeProcess.sleep(2_000);
      bank.close();
      System.out.printf("fourth node: ready %d ms after its start, first transfer committed by %d ms; answers %s%n",
          readyMs, servingMs, bank.outcomes());
      assertThat(ledgerGroups(node4)).as("the new node's ledger writer committed transfers").isPositive();
      assertThat(bank.errors()).isEmpty();
      assertThat(Api.get(node1, operator, "/v1/cluster").body().getJsonArray("nodes")).hasSize(4);
      assertBooks(bank.acked);
    }
  }

  @Test
  @Order(5)
  void aGracefulLeaveCausesNoClientError() {
    try (BankWorkload bank = new BankWorkload(List.of(node1, node2, node3), teller, accounts, "EUR")) {
      bank.start(6);
      NodeProcess.sleep(3_000);
      assertThat(node4.terminate(Duration.ofSeconds(40))).as("node4 exits after SIGTERM").isTrue();
      NodeProcess.sleep(3_000);
      bank.close();
      System.out.printf("graceful leave: answers %s%n", bank.outcomes());
      assertThat(node4.logText()).contains("node stopped");
      assertThat(bank.errors()).isEmpty();
      assertBooks(bank.acked);
    }
    assertThat(Api.get(node1, operator, "/v1/cluster").body().getJsonArray("nodes")).hasSize(3);
  }

  /**
   * The trial balance is zero, there are two entries per posted transfer, every acknowledged
   * transfer is posted under the id its client was given, and no key took effect twice (the
   * references are stored sealed: {@link Books} finds transfers through the keys' kept answers).
   */
  private void assertBooks(Collection<BankWorkload.Acked> acked) {
    Books books = Books.read(cluster.pgUrl);
    assertThat(books.sumPosted).isZero();
    assertThat(books.entries).isEqualTo(2 * books.postedTransfers);
    assertThat(books.doubledReferences).as("transfers no kept answer names").isZero();
    assertThat(acked).isNotEmpty();
    assertThat(books.missingOrWrong(acked)).as("acknowledged transfers missing or wrong in the books").isEmpty();
    JsonObject trial = Api.get(node1, admin, "/v1/ledger/trial-balance").body();
    trial.getJsonArray("currencies").forEach(line -> {
      JsonObject currency = (JsonObject) line;
      assertThat(currency.getLong("sumPosted")).isZero();
      assertThat(currency.getLong("entries")).isEqualTo(2 * currency.getLong("postedTransfers"));
    });
  }

  /** How many ledger groups this node's writer has committed (from its /metrics). */
  private static long ledgerGroups(NodeProcess node) {
    for (String line : node.management("/metrics").split("\n")) {
      if (line.startsWith("fincloud_ledger_group_size_count")) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }
}
