package fincloud.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.TcpIpConfig;
import fincloud.shared.ConfigSection;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How a clustered node joins: the Hazelcast configuration (a file, by default the loopback one
 * bundled in the jar, adjusted by a few environment variables) and the event-bus options (where it
 * listens, and TLS with client certificates).
 *
 * @param source {@code FINCLOUD_CLUSTER_CONFIG}: a file, {@code classpath:name}, or null for the bundled file
 * @param name {@code FINCLOUD_CLUSTER_NAME}, or null for the file's
 * @param heartbeatSeconds {@code FINCLOUD_CLUSTER_HEARTBEAT_SECONDS}, or null for Hazelcast's
 * @param port {@code FINCLOUD_CLUSTER_PORT}, or null for the file's
 * @param eventBusHost {@code FINCLOUD_EVENTBUS_HOST}, or null for the address Hazelcast bound
 * @param eventBusPort {@code FINCLOUD_EVENTBUS_PORT}, 0 for a free port
 * @param eventBusPublicHost {@code FINCLOUD_EVENTBUS_PUBLIC_HOST}, or null for the host
 * @param tls {@code cluster.eventBusTls}, or null when it is not enabled
 */
record ClusterSettings(String source, String name, Integer heartbeatSeconds, Integer port, String eventBusHost,
    int eventBusPort, String eventBusPublicHost, EventBusTls tls) {

  /** The loopback configuration bundled in the jar (cluster-config/cluster.xml). */
  static final String BUNDLED = "cluster.xml";
  private static final String CLASSPATH = "classpath:";
  /**
   * Ports per host for a moved port range: a node cut off and back tries each listed address in
   * turn to find the others, waiting 5 s (Hazelcast's fixed split-brain connection timeout) on
   * each where nobody listens; ten for three nodes kept a thawed node out for over a minute.
   */
  static final int PORTS_PER_HOST = 5;

  /** PEM files: this node's key and certificate, and the CA that signs every node's certificate. */
  record EventBusTls(String keyPath, String certPath, String caPath) {
  }

  static ClusterSettings from(ConfigSection root) {
    ConfigSection tls = root.section("cluster").section("eventBusTls");
    return new ClusterSettings(root.optionalText("FINCLOUD_CLUSTER_CONFIG"), root.optionalText("FINCLOUD_CLUSTER_NAME"),
        root.optionalInteger("FINCLOUD_CLUSTER_HEARTBEAT_SECONDS", 1, 3_600),
        root.optionalInteger("FINCLOUD_CLUSTER_PORT", 1, 65_526),
        root.optionalText("FINCLOUD_EVENTBUS_HOST"), root.integer("FINCLOUD_EVENTBUS_PORT", 0, 65_535),
        root.optionalText("FINCLOUD_EVENTBUS_PUBLIC_HOST"),
        tls.bool("enabled") ? new EventBusTls(tls.text("keyPath"), tls.text("certPath"), tls.text("caPath")) : null);
  }

  /**
   * {@code FINCLOUD_CLUSTER_CONFIG}, else the bundled file; then the cluster name, the heartbeat
   * and the port (which moves the port range and its TCP/IP members to P .. P+4).
   */
  Config hazelcast() throws IOException {
    Config config;
    if (source == null) {
      config = fromClasspath(BUNDLED);
    } else if (source.startsWith(CLASSPATH)) {
      config = fromClasspath(source.substring(CLASSPATH.length()));
    } else {
      config = Config.loadFromFile(Path.of(source).toFile());
    }
    if (name != null) {
      config.setClusterName(name);
    }
    if (heartbeatSeconds != null) {
      config.setProperty("hazelcast.max.no.heartbeat.seconds", heartbeatSeconds.toString());
    }
    if (port != null) {
      movePorts(config, port);
    }
    // Our shutdown hook drains the node first, then leaves the cluster; Hazelcast's own hook
    // would leave at once, under requests still in flight.
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    return config;
  }

  /** Hazelcast on P (and the four after it); TCP/IP members become the same hosts at P .. P+4. */
  private static void movePorts(Config config, int first) {
    config.getNetworkConfig().setPort(first).setPortAutoIncrement(true).setPortCount(PORTS_PER_HOST);
    TcpIpConfig tcp = config.getNetworkConfig().getJoin().getTcpIpConfig();
    if (!tcp.isEnabled()) {
      return;
    }
    Set<String> hosts = new LinkedHashSet<>();
    for (String member : tcp.getMembers()) {
      int colon = member.lastIndexOf(':');
      hosts.add(colon > 0 ? member.substring(0, colon) : member);
    }
    List<String> members = new ArrayList<>();
    for (String host : hosts) {
      for (int p = first; p < first + PORTS_PER_HOST; p++) {
        members.add(host + ":" + p);
      }
    }
    tcp.setMembers(members);
  }

  private static Config fromClasspath(String resource) throws IOException {
    try (InputStream in = ClusterSettings.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no Hazelcast configuration " + resource + " in the jar");
      }
      return Config.loadFromStream(in);
    }
  }

  /**
   * The event bus listens on the host and port, and tells the others the public host. With
   * {@code cluster.eventBusTls.enabled}, nodes speak TLS to each other and each must present a
   * certificate signed by the configured CA: a stranger can neither read nor inject messages.
   */
  EventBusOptions eventBus() throws IOException {
    EventBusOptions options = new EventBusOptions().setPort(eventBusPort);
    if (eventBusHost != null) {
      options.setHost(eventBusHost);
    }
    if (eventBusPublicHost != null) {
      options.setClusterPublicHost(eventBusPublicHost);
    }
    if (tls != null) {
      options.setSsl(true)
          .setClientAuth(ClientAuth.REQUIRED)
          .setKeyCertOptions(new PemKeyCertOptions()
              .setKeyPath(readable("keyPath", tls.keyPath()))
              .setCertPath(readable("certPath", tls.certPath())))
          .setTrustOptions(new PemTrustOptions().addCertPath(readable("caPath", tls.caPath())));
    }
    return options;
  }

  /** Checked when the node joins a cluster: a node started without one never reads these files. */
  private static String readable(String key, String path) throws IOException {
    if (!Files.isReadable(Path.of(path))) {
      throw new IOException("cluster.eventBusTls." + key + " must name a readable PEM file, not " + path);
    }
    return path;
  }
}
