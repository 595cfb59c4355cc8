package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import fincloud.bus.CallerKeys;
import fincloud.shared.InvalidSettingException;
import fincloud.testkit.TestClient;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Hazelcast files of cluster-config/ parse, and the environment adjusts them as documented. */
class ClusterSettingsTest {

  /** The cluster settings of the defaults with {@code json} over them. */
  private static ClusterSettings config(JsonObject json) {
    return new NodeConfig(ConfigLoader.defaults().mergeIn(json, true)).cluster();
  }

  @Test
  void theBundledFileIsTheLoopbackClusterWithVertxStructures() throws Exception {
    Config config = config(new JsonObject()).hazelcast();
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(config.getClusterName()).isEqualTo("fincloud");
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    List<String> members = new ArrayList<>();
    for (int port = 5701; port <= 5705; port++) {
      members.add("127.0.0.1:" + port);
    }
    assertThat(join.getTcpIpConfig().getMembers()).isEqualTo(members);
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(5701);
    assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    assertThat(config.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    assertThat(config.getProperty("hazelcast.shutdownhook.enabled")).isEqualTo("false");
    assertThat(config.getMultiMapConfigs()).containsKey("__vertx.subs");
    assertThat(config.getMapConfigs()).containsKeys("__vertx.haInfo", "__vertx.nodeInfo");
  }

  @Test
  void theEnvironmentNamesTheClusterLowersTheHeartbeatAndMovesThePorts() throws Exception {
    Config config = config(new JsonObject().put("FINCLOUD_CLUSTER_NAME", "it-42")
        .put("FINCLOUD_CLUSTER_HEARTBEAT_SECONDS", 5).put("FINCLOUD_CLUSTER_PORT", 23000)).hazelcast();
    assertThat(config.getClusterName()).isEqualTo("it-42");
    assertThat(config.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("5");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(23000);
    assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers())
        .hasSize(5).startsWith("127.0.0.1:23000").endsWith("127.0.0.1:23004");
  }

  @Test
  void thePortCountSizesTheMovedRange() throws Exception {
    Config config = config(new JsonObject().put("FINCLOUD_CLUSTER_PORT", 23000)
        .put("FINCLOUD_CLUSTER_PORT_COUNT", 3)).hazelcast();
    assertThat(config.getNetworkConfig().getPortCount()).isEqualTo(3);
    assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers())
        .containsExactly("127.0.0.1:23000", "127.0.0.1:23001", "127.0.0.1:23002");
  }

  @Test
  void theLanAndKubernetesFilesParse() throws Exception {
    Config lan = config(new JsonObject()
        .put("FINCLOUD_CLUSTER_CONFIG", "cluster-config/multicast.xml")).hazelcast();
    assertThat(lan.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isTrue();
    assertThat(lan.getMultiMapConfigs()).containsKey("__vertx.subs");
    Config kubernetes = config(new JsonObject()
        .put("FINCLOUD_CLUSTER_CONFIG", "cluster-config/kubernetes.xml")).hazelcast();
    assertThat(kubernetes.getNetworkConfig().getJoin().getKubernetesConfig().isEnabled()).isTrue();
    assertThat(kubernetes.getNetworkConfig().getJoin().getKubernetesConfig().getProperty("service-dns"))
        .isEqualTo("fincloud-hazelcast.fincloud.svc.cluster.local");
  }

  @Test
  void theEventBusListensOnAFreePortUnlessToldOtherwise() throws Exception {
    EventBusOptions defaults = config(new JsonObject()).eventBus();
    assertThat(defaults.getPort()).isZero();
    assertThat(defaults.isSsl()).isFalse();
    EventBusOptions fixed = config(new JsonObject().put("FINCLOUD_EVENTBUS_HOST", "127.0.0.1")
        .put("FINCLOUD_EVENTBUS_PORT", 5801).put("FINCLOUD_EVENTBUS_PUBLIC_HOST", "10.0.0.7")).eventBus();
    assertThat(fixed.getHost()).isEqualTo("127.0.0.1");
    assertThat(fixed.getPort()).isEqualTo(5801);
    assertThat(fixed.getClusterPublicHost()).isEqualTo("10.0.0.7");
  }

  @Test
  void eventBusTlsRequiresClientCertificatesAndReadableFiles() throws Exception {
    Path dir = Files.createTempDirectory("fincloud-tls");
    for (String name : List.of("node.key", "node.pem", "ca.pem")) {
      Files.writeString(dir.resolve(name), "");
    }
    JsonObject tls = new JsonObject().put("enabled", true).put("keyPath", dir.resolve("node.key").toString())
        .put("certPath", dir.resolve("node.pem").toString()).put("caPath", dir.resolve("ca.pem").toString());
    EventBusOptions options = config(new JsonObject()
        .put("cluster", new JsonObject().put("eventBusTls", tls))).eventBus();
    assertThat(options.isSsl()).isTrue();
    assertThat(options.getClientAuth()).isEqualTo(ClientAuth.REQUIRED);

    tls.put("caPath", dir.resolve("missing.pem").toString());
    assertThatThrownBy(() -> config(new JsonObject()
        .put("cluster", new JsonObject().put("eventBusTls", tls))).eventBus())
        .isInstanceOf(IOException.class).hasMessageContaining("caPath");
  }

  @Test
  void aClusterBeyondLoopbackWithoutEventBusTlsIsRefusedUnlessAllowed() throws Exception {
    ClusterSettings loopback = config(new JsonObject());
    loopback.refusePlaintextBeyondLoopback(loopback.hazelcast());
    JsonObject lan = new JsonObject().put("FINCLOUD_CLUSTER_CONFIG", "cluster-config/multicast.xml");
    ClusterSettings plaintext = config(lan);
    assertThatThrownBy(() -> plaintext.refusePlaintextBeyondLoopback(plaintext.hazelcast()))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("cluster.eventBusTls.enabled").hasMessageContaining("cluster.allowPlaintext");
    ClusterSettings lanHost = config(new JsonObject().put("FINCLOUD_EVENTBUS_HOST", "10.0.0.7"));
    assertThatThrownBy(() -> lanHost.refusePlaintextBeyondLoopback(lanHost.hazelcast()))
        .isInstanceOf(InvalidSettingException.class);
    ClusterSettings allowed = config(lan.copy().put("cluster", new JsonObject().put("allowPlaintext", true)));
    allowed.refusePlaintextBeyondLoopback(allowed.hazelcast());
  }

  @Test
  void aClusteredNodeOutsideDemoModeNeedsTheCallerKey() throws Exception {
    JsonObject production = new JsonObject().put("FINCLOUD_CLUSTER", true).put("FINCLOUD_DEMO", false)
        .put("clients", new JsonArray().add(TestClient.configured("ops", "acme", "admin")))
        .put("privacy", new JsonObject().put("keys", fincloud.testkit.TestNode.TEST_KEYS.copy()));
    assertThatThrownBy(() -> config(production)).isInstanceOf(InvalidSettingException.class)
        .hasMessageContaining("cluster.callerKeyFile");
    assertThatThrownBy(() -> config(production.copy().put("cluster", new JsonObject().put("callerKey", "c2hvcnQ="))))
        .isInstanceOf(InvalidSettingException.class).hasMessageContaining("cluster.callerKey")
        .hasMessageNotContaining("c2hvcnQ=");
    Path file = Files.createTempFile("caller", ".key");
    Files.writeString(file, CallerKeys.generate() + "\n");
    assertThat(config(production.copy().put("FINCLOUD_CALLER_KEY_FILE", file.toString())).callerKey()).hasSize(32);
    assertThat(config(new JsonObject().put("FINCLOUD_CLUSTER", true)).callerKey())
        .as("demo mode: the nodes agree at join time").isNull();
  }
}
