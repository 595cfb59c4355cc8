package fincloud.node;

import fincloud.audit.OfflineVerifier;
import fincloud.gateway.SecretHash;
import fincloud.shared.InvalidSettingException;
import fincloud.shared.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar fincloud.jar [--config FILE]... [--cluster]} runs a node (later files win);
 * {@code java -jar fincloud.jar postgres} runs only the embedded PostgreSQL server;
 * {@code java -jar fincloud.jar hash-secret < FILE} prints the stored form of a client secret read
 * from standard input.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  /** Runs on the main thread, outside every event loop: start-up waits (await) for each of its steps. */
  public static void main(String[] args) throws Exception {
    List<String> words = new ArrayList<>(List.of(args));
    List<String> configFiles = new ArrayList<>();
    for (String file = option(words, "--config"); file != null; file = option(words, "--config")) {
      configFiles.add(file);
    }
    boolean clusterFlag = words.remove("--cluster");
    String command = words.isEmpty() ? "node" : words.get(0);
    if (command.equals("hash-secret")) {
      hashSecret(words);
      return;
    }
    if (command.equals("audit-verify")) {
      System.exit(auditVerify(words));
      return;
    }
    JsonObject json = loadConfig(configFiles);
    if (clusterFlag) {
      json.put("FINCLOUD_CLUSTER", true);
    }
    NodeConfig config;
    try {
      // every section read and checked before anything starts
      config = new NodeConfig(json);
    } catch (InvalidSettingException refused) {
      LOG.error("the configuration is refused: {}", refused.getMessage());
      System.exit(2);
      return;
    }
    switch (command) {
      case "node" -> runNode(config);
      case "postgres" -> runPostgres(config);
      default -> {
        LOG.error("unknown command {}: use node (the default), postgres or hash-secret (secret on standard input)",
            command);
        System.exit(2);
      }
    }
  }

  /**
   * Reads the secret from standard input (its first line), never from the command line, where the
   * shell's history and the process list would show it.
   */
  private static void hashSecret(List<String> words) throws java.io.IOException {
    if (words.size() > 1) {
      LOG.error("hash-secret reads the secret from standard input, e.g. java -jar fincloud.jar hash-secret < secret.txt");
      System.exit(2);
    }
    String secret = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
        java.nio.charset.StandardCharsets.UTF_8)).readLine();
    if (secret == null || secret.isEmpty()) {
      LOG.error("hash-secret: no secret on standard input");
      System.exit(2);
    }
    LOG.info("stored form of the secret: {}", SecretHash.hash(secret));
  }

  private static void runNode(NodeConfig config) throws Exception {
    NodeIdentity identity = config.identity();
    EmbeddedDatabase embedded = config.pgUrl() == null
        ? EmbeddedDatabase.start(identity.dataDir(), config.pgPort()) : null;
    String ownerUrl = embedded != null ? embedded.url()
        : config.pgMigrationUrl() != null ? config.pgMigrationUrl() : config.pgUrl();
    Migrations.migrate(ownerUrl);
    String pgUrl = embedded != null ? RuntimeRole.ofEmbedded(ownerUrl, identity.dataDir()) : config.pgUrl();
    RuntimeRole.warnIfPrivileged(pgUrl);
    if (config.requireDurable()) {
      DatabaseSettings.requireDurable(ownerUrl);
    }
    HazelcastClusterManager clusterManager = identity.clustered() ? joining(config) : null;
    Vertx vertx = clusterManager == null
        ? Vertx.builder().with(vertxOptions()).withMetrics(MetricsPage.factory()).build()
        : Vertx.builder().with(vertxOptions().setEventBusOptions(config.cluster().eventBus()))
            .withClusterManager(clusterManager).withMetrics(MetricsPage.factory()).buildClustered().await();
    if (clusterManager != null) {
      LOG.info("joined cluster {} as node {} ({} members)", clusterManager.getConfig().getClusterName(),
          clusterManager.getNodeId(), clusterManager.getNodes().size());
    }
    if (config.demo()) {
      LOG.warn("demo mode: the demo clients and their published secrets exist (FINCLOUD_DEMO=false to leave it)");
    }
    Node node = Node.deploy(vertx, config, pgUrl, clusterManager).await();
    LOG.info("FinCloud node ready on http://{}:{} with roles {}", identity.httpHost(), identity.httpPort(),
        config.roles());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(vertx, node, embedded), "fincloud-shutdown"));
  }

  /** The cluster to join; refused (exit 2) when it would carry clear-text messages beyond loopback. */
  private static HazelcastClusterManager joining(NodeConfig config) throws java.io.IOException {
    com.hazelcast.config.Config hazelcast = config.cluster().hazelcast();
    try {
      config.cluster().refusePlaintextBeyondLoopback(hazelcast);
    } catch (InvalidSettingException refused) {
      LOG.error("the configuration is refused: {}", refused.getMessage());
      System.exit(2);
    }
    return new HazelcastClusterManager(hazelcast);
  }

  /** On the JVM's shutdown-hook thread, never an event loop: it may wait for each step. */
  private static void shutdown(Vertx vertx, Node node, EmbeddedDatabase embedded) {
    LOG.info("shutting down: readiness down, draining requests");
    try {
      node.stop().await();
      // Leaves the cluster (if any) only now that this node's work is done.
      vertx.close().await();
      if (embedded != null) {
        embedded.close();
      }
      LOG.info("node stopped");
    } catch (Exception e) {
      LOG.error("shutdown did not complete cleanly", e);
    }
    // The access log is written by a thread of its own: let it write what it still holds.
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logging) {
      logging.stop();
    }
  }

  private static void runPostgres(NodeConfig config) throws Exception {
    Path dataDir = config.identity().dataDir();
    EmbeddedDatabase embedded = EmbeddedDatabase.start(dataDir, config.pgPort());
    Migrations.migrate(embedded.url());
    LOG.info("PostgreSQL is serving {} (also in {}/postgres.url)", embedded.url(), dataDir);
    AtomicBoolean stopping = new AtomicBoolean();
    // A server that dies (kill -9, OOM killer) takes this process with it, so that whatever
    // supervises it sees the failure and starts it again (the start waits out the dead server).
    embedded.server().ifPresent(server -> server.onExit().thenRun(() -> {
      if (!stopping.get()) {
        LOG.error("the PostgreSQL server (pid {}) exited: stopping", server.pid());
        Runtime.getRuntime().halt(1);
      }
    }));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping.set(true);
      try {
        embedded.close();
      } catch (Exception e) {
        LOG.error("PostgreSQL did not stop cleanly", e);
      }
    }, "fincloud-postgres-shutdown"));
    // The server runs in its own process: keep this JVM (and its shutdown hook) until stopped.
    new java.util.concurrent.CountDownLatch(1).await();
  }

  /** Vert.x with Prometheus metrics as {@link MetricsPage} bounds them; build it with {@link MetricsPage#factory()}. */
  public static VertxOptions vertxOptions() {
    return new VertxOptions().setMetricsOptions(MetricsPage.options());
  }

  private static JsonObject loadConfig(List<String> configFiles) {
    Vertx bootstrap = Vertx.vertx();
    try {
      return ConfigLoader.loadAll(bootstrap, configFiles).await();
    } finally {
      bootstrap.close().await();
    }
  }

  /**
   * {@code audit-verify --export FILE --keys FILE [--checkpoints FILE]}: 0 when the chain and its
   * checkpoints hold, 1 when not (the first bad record is named), 2 on a usage or file error.
   */
  private static int auditVerify(List<String> words) {
    String export = option(words, "--export");
    String keys = option(words, "--keys");
    String checkpoints = option(words, "--checkpoints");
    String proof = option(words, "--proof");
    if ((export == null) == (proof == null) || keys == null) {
      LOG.error("usage: audit-verify --export EXPORT.ndjson --keys KEYS.json [--checkpoints CHECKPOINTS]"
          + " | audit-verify --proof PROOF.json --keys KEYS.json");
      return 2;
    }
    try {
      if (proof != null) {
        return auditProof(OfflineVerifier.verifyProof(Path.of(proof), Path.of(keys)));
      }
      JsonObject verdict = OfflineVerifier.verify(Path.of(export), Path.of(keys),
          checkpoints == null ? null : Path.of(checkpoints));
      if (verdict.getBoolean("valid")) {
        LOG.info("the chain holds: {}", verdict.encode());
        return 0;
      }
      LOG.error("the chain does not hold: first bad record {}: {} ({})", verdict.getValue("firstInvalidSeq"),
          verdict.getString("reason"), verdict.encode());
      return 1;
    } catch (IOException | RuntimeException e) {
      LOG.error("audit-verify could not read its input: {}", e.toString());
      return 2;
    }
  }

  private static int auditProof(JsonObject verdict) {
    if (verdict.getBoolean("valid")) {
      LOG.info("record {} is in the chain under the checkpoint at seq {}", verdict.getValue("seq"),
          verdict.getValue("checkpointSeq"));
      return 0;
    }
    LOG.error("the proof does not hold for record {}: {}", verdict.getValue("seq"), verdict.getString("reason"));
    return 1;
  }

  private static String option(List<String> words, String name) {
    int at = words.indexOf(name);
    if (at < 0 || at + 1 >= words.size()) {
      return null;
    }
    String value = words.get(at + 1);
    words.subList(at, at + 2).clear();
    return value;
  }
}
