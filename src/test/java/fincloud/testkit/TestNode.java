package fincloud.testkit;

import fincloud.node.ConfigLoader;
import fincloud.node.Node;
import fincloud.node.NodeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A whole node (every role, demo mode: the demo clients) deployed on the test's Vert.x instance against a
 * fresh database, serving HTTP on a free loopback port. Blocking methods: call them from JUnit's
 * thread ({@code @BeforeAll}/{@code @AfterAll}), never from an event loop.
 */
public final class TestNode {
  private final Vertx vertx;
  private final Node node;
  private final int port;
  private final String pgUrl;
  /** Whether {@link #stop()} closes the Vert.x too: the node was given one of its own. */
  private final boolean ownsVertx;
  private final Path dataDir;
  private TestClient management;

  /** The key-encryption keys of every test node (override {@code privacy.keys} with null for the data folder's). */
  public static final JsonObject TEST_KEYS = new JsonObject().put("active", "test-kek")
      .put("keys", new JsonObject().put("test-kek", "dGVzdC1vbmx5LWtleS1lbmNyeXB0aW9uLWtleS0zMmI="));

  private TestNode(Vertx vertx, Node node, int port, String pgUrl, boolean ownsVertx, Path dataDir) {
    this.vertx = vertx;
    this.node = node;
    this.port = port;
    this.pgUrl = pgUrl;
    this.ownsVertx = ownsVertx;
    this.dataDir = dataDir;
  }

  public static TestNode start(Vertx vertx) {
    return start(vertx, new JsonObject());
  }

  /** @param overrides configuration merged (deeply) over the defaults, e.g. a ledger section */
  public static TestNode start(Vertx vertx, JsonObject overrides) {
    return start(vertx, overrides, TestDatabase.freshDatabase());
  }

  /** A node on an existing database, e.g. to restart one over the data of another. */
  public static TestNode start(Vertx vertx, JsonObject overrides, String pgUrl) {
    return start(vertx, overrides, pgUrl, Clock.systemUTC());
  }

  /** @param clock the ledger's clock, e.g. a {@link TestClock} that the test moves forward */
  public static TestNode start(Vertx vertx, JsonObject overrides, String pgUrl, Clock clock) {
    return start(vertx, overrides, pgUrl, clock, false);
  }

  /**
   * A node on a Vert.x built for it alone (e.g. with metrics on, as the launcher builds it), on a
   * fresh database; {@link #stop()} closes that Vert.x after the node.
   */
  public static TestNode startOnItsOwnVertx(Vertx vertx, JsonObject overrides) {
    return start(vertx, overrides, TestDatabase.freshDatabase(), Clock.systemUTC(), true);
  }

  private static TestNode start(Vertx vertx, JsonObject overrides, String pgUrl, Clock clock, boolean ownsVertx) {
    int port = freePort();
    JsonObject json = ConfigLoader.load(vertx, null).await()
        .put("FINCLOUD_DATA_DIR", temporaryDataDir())
        // the test database is a real server of its own, so demo mode must be asked for
        .put("FINCLOUD_DEMO", true)
        // nodes of one database must share their key-encryption keys, like the nodes of a deployment
        .mergeIn(new JsonObject().put("privacy", new JsonObject().put("keys", TEST_KEYS.copy())), true)
        // every test class asks for tokens from 127.0.0.1: the token limits are TokenLimitsTest's to check
        .mergeIn(new JsonObject().put("gateway", new JsonObject().put("tokenLimits", new JsonObject()
            .put("perClient", new JsonObject().put("limit", 1_000_000).put("periodMs", 1000))
            .put("perAddress", new JsonObject().put("limit", 1_000_000).put("periodMs", 1000)))), true)
        // a scheduled full verification would compete with what a test measures: a test turns it on
        .mergeIn(new JsonObject().put("audit", new JsonObject().put("fullVerificationIntervalSeconds", 0)), true)
        .mergeIn(overrides, true)
        .put("FINCLOUD_HTTP_PORT", port).put("FINCLOUD_PG_URL", pgUrl);
    // a free port of its own: HTTP port + 1000 may be taken on a machine running many tests
    json.put("FINCLOUD_MANAGEMENT_PORT", overrides.getValue("FINCLOUD_MANAGEMENT_PORT", 0));
    NodeConfig config = new NodeConfig(json);
    Node node = Node.deploy(vertx, config, pgUrl, null, clock).await();
    return new TestNode(vertx, node, port, pgUrl, ownsVertx, config.identity().dataDir());
  }

  public TestClient client() {
    return new TestClient(vertx, port);
  }

  /** A client of the node's management listener: {@code /metrics} and detailed health. */
  public synchronized TestClient management() {
    if (management == null) {
      management = new TestClient(vertx, node.managementPort());
    }
    return management;
  }

  public int managementPort() {
    return node.managementPort();
  }

  public Vertx vertx() {
    return vertx;
  }

  public int port() {
    return port;
  }

  public String pgUrl() {
    return pgUrl;
  }

  /** The node's data folder (its generated key files). */
  public Path dataDir() {
    return dataDir;
  }

  /** Undeploys one role (e.g. risk, to see the others cope without it). */
  public void undeploy(String role) {
    node.undeploy(role).await();
  }

  /** Deploys a role again after {@link #undeploy}. */
  public void deploy(String role) {
    node.deploy(role).await();
  }

  public void stop() {
    synchronized (this) {
      if (management != null) {
        management.close();
        management = null;
      }
    }
    node.stop().await();
    if (ownsVertx) {
      vertx.close().await();
    }
  }

  /** Node files (the generated audit key) go to a fresh folder, never the working directory. */
  private static String temporaryDataDir() {
    try {
      Path dir = Files.createTempDirectory("fincloud-test-node");
      dir.toFile().deleteOnExit();
      return dir.toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A free port of its own, away from the ports outgoing connections take ({@link FreePorts}). */
  static int freePort() {
    return FreePorts.pick(10_000, 19_000, port -> true);
  }
}
