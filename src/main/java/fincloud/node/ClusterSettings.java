package fincloud.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.TcpIpConfig;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonObject;
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
 */
final class ClusterSettings {
  /** The loopback configuration bundled in the jar (cluster-config/cluster.xml). */
  static final String BUNDLED = "cluster.xml";
  private static final String CLASSPATH = "classpath:";

  private ClusterSettings() {
  }

  /**
   * {@code FINCLOUD_CLUSTER_CONFIG} (a file, or {@code classpath:name}), else the bundled file;
   * then {@code FINCLOUD_CLUSTER_NAME}, {@code FINCLOUD_CLUSTER_HEARTBEAT_SECONDS} and
   * {@code FINCLOUD_CLUSTER_PORT} (moves the port range and its TCP/IP members to P .. P+9).
   */
  static Config hazelcast(NodeConfig node) throws IOException {
    JsonObject json = node.json();
    String source = text(json, "FINCLOUD_CLUSTER_CONFIG");
    Config config;
    if (source == null) {
      config = fromClasspath(BUNDLED);
    } else if (source.startsWith(CLASSPATH)) {
      config = fromClasspath(source.substring(CLASSPATH.length()));
    } else {
      config = Config.loadFromFile(Path.of(source).toFile());
    }
    String name = text(json, "FINCLOUD_CLUSTER_NAME");
    if (name != null) {
      config.setClusterName(name);
    }
    String heartbeat = text(json, "FINCLOUD_CLUSTER_HEARTBEAT_SECONDS");
    if (heartbeat != null) {
      config.setProperty("hazelcast.max.no.heartbeat.seconds", heartbeat);
    }
    String port = text(json, "FINCLOUD_CLUSTER_PORT");
    if (port != null) {
      movePorts(config, Integer.parseInt(port));
    }
    // Our shutdown hook drains the node first, then leaves the cluster; Hazelcast's own hook
    // would leave at once, under requests still in flight.
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    return config;
  }

  /** Hazelcast on P (and the nine after it); TCP/IP members become the same hosts at P .. P+9. */
  private static void movePorts(Config config, int first) {
    config.getNetworkConfig().setPort(first).setPortAutoIncrement(true).setPortCount(10);
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
      for (int p = first; p < first + 10; p++) {
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
   * The event bus listens on {@code FINCLOUD_EVENTBUS_HOST} (default: the address Hazelcast bound,
   * 127.0.0.1 with the bundled file) and {@code FINCLOUD_EVENTBUS_PORT} (default 0: a free port),
   * and tells the others {@code FINCLOUD_EVENTBUS_PUBLIC_HOST} (default: the host). With
   * {@code cluster.eventBusTls.enabled}, nodes speak TLS to each other and each must present a
   * certificate signed by the configured CA: a stranger can neither read nor inject messages.
   */
  static EventBusOptions eventBus(NodeConfig node) throws IOException {
    JsonObject json = node.json();
    EventBusOptions options = new EventBusOptions();
    String host = text(json, "FINCLOUD_EVENTBUS_HOST");
    if (host != null) {
      options.setHost(host);
    }
    String port = text(json, "FINCLOUD_EVENTBUS_PORT");
    options.setPort(port == null ? 0 : Integer.parseInt(port));
    String publicHost = text(json, "FINCLOUD_EVENTBUS_PUBLIC_HOST");
    if (publicHost != null) {
      options.setClusterPublicHost(publicHost);
    }
    JsonObject tls = node.section("cluster").getJsonObject("eventBusTls", new JsonObject());
    if (tls.getBoolean("enabled", false)) {
      options.setSsl(true)
          .setClientAuth(ClientAuth.REQUIRED)
          .setKeyCertOptions(new PemKeyCertOptions()
              .setKeyPath(readable(tls, "keyPath"))
              .setCertPath(readable(tls, "certPath")))
          .setTrustOptions(new PemTrustOptions().addCertPath(readable(tls, "caPath")));
    }
    return options;
  }

  private static String readable(JsonObject tls, String key) throws IOException {
    String path = tls.getString(key);
    if (path == null || !Files.isReadable(Path.of(path))) {
      throw new IOException("cluster.eventBusTls." + key + " must name a readable PEM file, not " + path);
    }
    return path;
  }

  /** A value that the environment store may have turned into a number or a boolean. */
  private static String text(JsonObject json, String key) {
    Object value = json.getValue(key);
    return value == null || value.toString().isBlank() ? null : value.toString();
  }
}
