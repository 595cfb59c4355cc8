package fincloud.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A cluster split by role, over an event bus with TLS and client certificates: a gateway-only
 * node serves the API through a payments-only node and a node running accounts, risk and audit.
 * A stranger without a certificate cannot talk to a node's event bus.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 150)
class RolesIT {
  private ClusterHarness cluster;
  private TestCertificates certificates;
  private NodeProcess gateway;
  private NodeProcess payments;
  private NodeProcess ledger;
  private int paymentsEventBusPort;

  @BeforeAll
  void startNodesByRole() throws Exception {
    Path certs = Files.createDirectories(ClusterHarness.workDirectory().resolve("certs-" + System.nanoTime()));
    certificates = TestCertificates.create(certs);
    cluster = new ClusterHarness(new JsonObject().put("risk", new JsonObject().put("timeoutMs", 1000))
        .put("cluster", new JsonObject().put("eventBusTls", new JsonObject()
        .put("enabled", true).put("keyPath", certificates.keyPem.toString())
        .put("certPath", certificates.certPem.toString()).put("caPath", certificates.caPem.toString()))));
    try {
      paymentsEventBusPort = ClusterHarness.freePort();
      gateway = cluster.node("gateway", "gateway", Map.of());
      payments = cluster.node("payments", "payments",
          Map.of("FINCLOUD_EVENTBUS_PORT", Integer.toString(paymentsEventBusPort)));
      ledger = cluster.node("ledger", "accounts,risk,audit", Map.of());
      ClusterHarness.startAll(List.of(ledger, payments, gateway), Duration.ofSeconds(120));
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
  void aGatewayOnlyNodeServesThroughAPaymentsOnlyNode() {
    String teller = Api.token(gateway, "acme-teller");
    String admin = Api.token(gateway, "acme-admin");
    String bank = Api.openAccount(gateway, admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
    String alice = Api.openAccount(gateway, teller, new JsonObject().put("currency", "EUR"));
    String bob = Api.openAccount(gateway, teller, new JsonObject().put("currency", "EUR"));
    Api.transfer(gateway, teller, bank, alice, 100, "EUR");
    JsonObject transfer = Api.transfer(gateway, teller, alice, bob, 40, "EUR");
    assertThat(transfer.getString("status")).isEqualTo("POSTED");

    Api.Reply read = Api.get(gateway, teller, "/v1/transfers/" + transfer.getString("id"));
    assertThat(read.status()).isEqualTo(200);
    assertThat(Api.get(gateway, teller, "/v1/accounts/" + bob).body().getJsonObject("balance").getLong("posted"))
        .isEqualTo(40);
    assertThat(ledgerGroups(payments)).as("transfers committed by the payments-only node").isPositive();

    JsonObject ready = new JsonObject(gateway.get("/health/ready"));
    assertThat(ready.getString("status")).isEqualTo("UP");
    JsonArray nodes = Api.get(gateway, Api.token(gateway, "platform-operator"), "/v1/cluster").body().getJsonArray("nodes");
    Map<String, Boolean> roles = new TreeMap<>();
    nodes.forEach(n -> roles.put(String.join(",", ((JsonObject) n).getJsonArray("roles").getList()),
        ((JsonObject) n).getBoolean("self")));
    assertThat(roles).isEqualTo(Map.of("gateway", true, "payments", false, "accounts,risk,audit", false));
  }

  @Test
  void theEventBusAdmitsOnlyPeersWithACertificateOfTheClusterCa() throws Exception {
    // A peer with the cluster's certificate gets a TLS session that stays open.
    try (SSLSocket peer = connect(certificates.clientContext(true))) {
      peer.startHandshake();
      peer.setSoTimeout(1500);
      assertThatThrownBy(() -> peer.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    }
    // A stranger without one is turned away at the handshake (TLS 1.3 tells it on its first
    // read): where the peer above waited for data, the stranger gets an alert or a hang-up.
    try (SSLSocket stranger = connect(certificates.clientContext(false))) {
      stranger.setSoTimeout(5000);
      Throwable refused = null;
      int read = 0;
      try {
        stranger.startHandshake();
        read = stranger.getInputStream().read();
      } catch (IOException failure) {
        refused = failure;
      }
      assertThat(refused).as("no time-out: the node refused the stranger").isNotInstanceOf(SocketTimeoutException.class);
      assertThat(refused != null || read == -1).as("the stranger was refused").isTrue();
    }
  }

  private SSLSocket connect(SSLContext context) throws IOException {
    return (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", paymentsEventBusPort);
  }

  private static long ledgerGroups(NodeProcess node) {
    for (String line : node.management("/metrics").split("\n")) {
      if (line.startsWith("fincloud_ledger_group_size_count")) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }
}
