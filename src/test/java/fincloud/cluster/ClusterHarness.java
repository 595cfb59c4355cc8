package fincloud.cluster;

import fincloud.testkit.FreePorts;
import fincloud.testkit.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A cluster of node JVMs for one test class: a unique cluster name and free ports per run (so that
 * runs, and other clusters on the machine, never meet), a fresh database on the test JVM's
 * PostgreSQL, Hazelcast's heartbeat timeout lowered. {@link #close()} kills every JVM it started.
 */
final class ClusterHarness implements AutoCloseable {
  final String clusterName = "it-" + UUID.randomUUID().toString().substring(0, 8);
  final String pgUrl;
  final Path dir;
  private final int hazelcastPort;
  private final Path configFile;
  private final List<NodeProcess> started = new ArrayList<>();

  /** @param config a configuration file's content, merged over the jar's defaults */
  ClusterHarness(JsonObject config) throws IOException {
    this(config, TestDatabase.freshDatabase());
  }

  /** On a database of the test's own (a failover formation's multi-host URL). */
  ClusterHarness(JsonObject config, String pgUrl) throws IOException {
    this.pgUrl = pgUrl;
    dir = workDirectory().resolve(clusterName);
    Files.createDirectories(dir);
    configFile = dir.resolve("fincloud.json");
    Files.writeString(configFile, config.encodePrettily());
    hazelcastPort = freeRange(10);
  }

  /** Logs and data of the test clusters: beside the jar (target/it-clusters), so that mvn clean removes them. */
  static Path workDirectory() {
    return NodeProcess.jar().toAbsolutePath().getParent().resolve("it-clusters");
  }

  /** A node (not started) with the given roles ("all" or a comma list) and extra environment. */
  NodeProcess node(String name, String roles, Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>();
    env.put("FINCLOUD_CLUSTER", "true");
    env.put("FINCLOUD_CLUSTER_NAME", clusterName);
    env.put("FINCLOUD_CLUSTER_PORT", Integer.toString(hazelcastPort));
    // As many member addresses as the largest test cluster has nodes (ClusterIT: four): each empty
    // one costs a thawed node 5 s on its way back (cluster-config/README.md).
    env.put("FINCLOUD_CLUSTER_PORT_COUNT", "4");
    // Lower than the bundled 15 s so that a 10 s freeze is usually detected, and above the 5 s for
    // which a new master, searching for the frozen one, sent no heartbeat: at 3 s the two running
    // nodes split and a thawed master took up to 16 s to be back (cluster-config/README.md).
    env.put("FINCLOUD_CLUSTER_HEARTBEAT_SECONDS", "7");
    env.put("FINCLOUD_PG_URL", pgUrl);
    env.put("FINCLOUD_ROLES", roles);
    env.put("FINCLOUD_REQUEST_TIMEOUT_MS", "10000");
    env.putAll(extraEnv);
    NodeProcess node = new NodeProcess(name, freeApiPort(), env, List.of("--config", configFile.toString()), dir);
    synchronized (started) {
      started.add(node);
    }
    return node;
  }

  /** Starts the nodes together (they form the cluster while booting) and waits for all to be ready. */
  static void startAll(List<NodeProcess> nodes, Duration within) {
    nodes.forEach(NodeProcess::start);
    nodes.forEach(node -> node.awaitReady(within));
  }

  @Override
  public void close() {
    synchronized (started) {
      started.forEach(NodeProcess::kill);
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A free port for a node's API whose management listener's port (API port + 1000) is free too,
   * below the kernel's ephemeral range (Hazelcast's ports are at 20 000-30 000): a port from that
   * range can be taken by any outgoing connection on the machine while a killed node is down, and
   * the node started again on it exits on "Address already in use".
   */
  static int freeApiPort() {
    return FreePorts.pick(10_000, 19_000, port -> FreePorts.free(port + 1000));
  }

  /** The first of {@code count} consecutive free ports, away from Hazelcast's default 5701. */
  private static int freeRange(int count) {
    for (int tries = 0; tries < 200; tries++) {
      int first = ThreadLocalRandom.current().nextInt(20_000, 30_000);
      boolean free = true;
      for (int port = first; port < first + count && free; port++) {
        free = FreePorts.free(port);
      }
      if (free) {
        return first;
      }
    }
    throw new IllegalStateException("no " + count + " consecutive free ports");
  }
}
