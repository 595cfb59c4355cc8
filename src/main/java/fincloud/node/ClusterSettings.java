package fincloud.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.TcpIpConfig;
import fincloud.bus.CallerKeys;
import fincloud.shared.ConfigSection;
import fincloud.shared.InvalidSettingException;
import fincloud.shared.KeyFile;
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
import java.util.Objects;
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
 * @param portCount {@code FINCLOUD_CLUSTER_PORT_COUNT}: how many ports the moved range has
 * @param eventBusHost {@code FINCLOUD_EVENTBUS_HOST}, or null for the address Hazelcast bound
 * @param eventBusPort {@code FINCLOUD_EVENTBUS_PORT}, 0 for a free port
 * @param eventBusPublicHost {@code FINCLOUD_EVENTBUS_PUBLIC_HOST}, or null for the host
 * @param tls {@code cluster.eventBusTls}, or null when it is not enabled
 * @param allowPlaintext {@code cluster.allowPlaintext}: cluster beyond loopback without event-bus TLS
 * @param callerKey {@code cluster.callerKey} / {@code cluster.callerKeyFile} ({@code FINCLOUD_CALLER_KEY_FILE}),
 *     or null when none is configured
 * @param previousCallerKey {@code cluster.previousCallerKey} / {@code cluster.previousCallerKeyFile}: still
 *     accepted during a rotation, or null
 */
record ClusterSettings(String source, String name, Integer heartbeatSeconds, Integer port, int portCount,
    String eventBusHost,
    int eventBusPort, String eventBusPublicHost, EventBusTls tls, boolean allowPlaintext, byte[] callerKey,
    byte[] previousCallerKey) {

  /** The loopback configuration bundled in the jar (cluster-config/cluster.xml). */
  static final String BUNDLED = "cluster.xml";
  private static final String CLASSPATH = "classpath:";
  /**
   * Ports per host for a moved port range, unless {@code FINCLOUD_CLUSTER_PORT_COUNT} says: a node
   * cut off and back tries each listed address in turn to find the others, waiting 5 s
   * (Hazelcast's fixed split-brain connection timeout) on each where nobody listens; ten for three
   * nodes kept a thawed node out for over a minute.
   */
  static final int PORTS_PER_HOST = 5;
  private static final int MAX_PORTS_PER_HOST = 20;

  /** PEM files: this node's key and certificate, and the CA that signs every node's certificate. */
  record EventBusTls(String keyPath, String certPath, String caPath) {
  }

  /** Blocking: reads the caller key files. */
  static ClusterSettings from(ConfigSection root) {
    ConfigSection cluster = root.section("cluster");
    ConfigSection tls = cluster.section("eventBusTls");
    String keyFile = root.optionalText("FINCLOUD_CALLER_KEY_FILE");
    return new ClusterSettings(root.optionalText("FINCLOUD_CLUSTER_CONFIG"), root.optionalText("FINCLOUD_CLUSTER_NAME"),
        root.optionalInteger("FINCLOUD_CLUSTER_HEARTBEAT_SECONDS", 1, 3_600),
        root.optionalInteger("FINCLOUD_CLUSTER_PORT", 1, 65_526),
        Objects.requireNonNullElse(root.optionalInteger("FINCLOUD_CLUSTER_PORT_COUNT", 1, MAX_PORTS_PER_HOST), PORTS_PER_HOST),
        root.optionalText("FINCLOUD_EVENTBUS_HOST"), root.integer("FINCLOUD_EVENTBUS_PORT", 0, 65_535),
        root.optionalText("FINCLOUD_EVENTBUS_PUBLIC_HOST"),
        tls.bool("enabled") ? new EventBusTls(tls.text("keyPath"), tls.text("certPath"), tls.text("caPath")) : null,
        cluster.bool("allowPlaintext"),
        callerKey(cluster, "callerKey", keyFile != null ? keyFile : cluster.optionalText("callerKeyFile"),
            keyFile != null ? "FINCLOUD_CALLER_KEY_FILE" : cluster.key("callerKeyFile")),
        callerKey(cluster, "previousCallerKey", cluster.optionalText("previousCallerKeyFile"),
            cluster.key("previousCallerKeyFile")));
  }

  /** The key given as text, else read from its file (base64, at least 32 bytes), else null. */
  private static byte[] callerKey(ConfigSection cluster, String textKey, String file, String fileSetting) {
    String text = cluster.optionalText(textKey);
    String setting = cluster.key(textKey);
    if (text == null && file != null) {
      text = KeyFile.read(Path.of(file), fileSetting);
      setting = fileSetting;
    }
    if (text == null) {
      return null;
    }
    try {
      return CallerKeys.decode(text, setting);
    } catch (IllegalArgumentException refused) {
      throw new InvalidSettingException(refused.getMessage());
    }
  }

  /**
   * Refuses to join a cluster that others can reach over the network while event-bus messages
   * travel in clear (anyone on the path reads amounts, tokens' callers and seals), unless the
   * operator said so with {@code cluster.allowPlaintext}. Loopback only (the bundled file, the
   * local cluster) is fine: nothing leaves the machine.
   */
  void refusePlaintextBeyondLoopback(Config hazelcast) {
    if (tls == null && !allowPlaintext && !loopbackOnly(hazelcast)) {
      throw new InvalidSettingException("the cluster reaches beyond loopback but its event bus is not encrypted: set "
          + "cluster.eventBusTls.enabled (with keyPath, certPath, caPath), or cluster.allowPlaintext=true to accept "
          + "clear-text messages between nodes");
    }
  }

  /** Hazelcast binds loopback interfaces only and joins loopback members only; the event bus listens there. */
  private boolean loopbackOnly(Config hazelcast) {
    var network = hazelcast.getNetworkConfig();
    var join = network.getJoin();
    boolean otherJoins = join.getMulticastConfig().isEnabled() || join.getAutoDetectionConfig().isEnabled()
        || join.getKubernetesConfig().isEnabled() || join.getAwsConfig().isEnabled()
        || join.getGcpConfig().isEnabled() || join.getAzureConfig().isEnabled() || join.getEurekaConfig().isEnabled()
        || join.getDiscoveryConfig().isEnabled();
    boolean boundToLoopback = "false".equals(hazelcast.getProperty("hazelcast.socket.bind.any"))
        && network.getInterfaces().isEnabled() && !network.getInterfaces().getInterfaces().isEmpty()
        && network.getInterfaces().getInterfaces().stream().allMatch(ClusterSettings::loopback);
    boolean membersOnLoopback = join.getTcpIpConfig().getMembers().stream()
        .map(member -> member.lastIndexOf(':') > 0 && !member.startsWith("[") ? member.substring(0, member.lastIndexOf(':')) : member)
        .allMatch(ClusterSettings::loopback);
    return !otherJoins && boundToLoopback && membersOnLoopback
        && (eventBusHost == null || loopback(eventBusHost)) && (eventBusPublicHost == null || loopback(eventBusPublicHost));
  }

  private static boolean loopback(String host) {
    String h = host.strip();
    return h.startsWith("127.") || h.equals("localhost") || h.equals("::1") || h.equals("[::1]");
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
      movePorts(config, port, portCount);
    }
    // Our shutdown hook drains the node first, then leaves the cluster; Hazelcast's own hook
    // would leave at once, under requests still in flight.
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    return config;
  }

  /** Hazelcast on P (and the ports after it); TCP/IP members become the same hosts at P .. P+count-1. */
  private static void movePorts(Config config, int first, int count) {
    config.getNetworkConfig().setPort(first).setPortAutoIncrement(true).setPortCount(count);
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
      for (int p = first; p < first + count; p++) {
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
