package fincloud.testkit;

import fincloud.node.ConfigLoader;
import fincloud.node.Node;
import fincloud.node.NodeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A whole node (every role, the demo clients) deployed on the test's Vert.x instance against a
 * fresh database, serving HTTP on a free loopback port. Blocking methods: call them from JUnit's
 * thread ({@code @BeforeAll}/{@code @AfterAll}), never from an event loop.
 */
public final class TestNode {
  private final Vertx vertx;
  private final Node node;
  private final int port;
  private final String pgUrl;
  private final Path dataDir;

  private TestNode(Vertx vertx, Node node, int port, String pgUrl, Path dataDir) {
    this.vertx = vertx;
    this.node = node;
    this.port = port;
    this.pgUrl = pgUrl;
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
    int port = freePort();
    JsonObject json = ConfigLoader.load(vertx, null).await()
        .put("FINCLOUD_DATA_DIR", temporaryDataDir())
        .mergeIn(overrides, true)
        .put("FINCLOUD_HTTP_PORT", port).put("FINCLOUD_PG_URL", pgUrl);
    NodeConfig config = new NodeConfig(json);
    Node node = Node.deploy(vertx, config, pgUrl, null, clock).await();
    return new TestNode(vertx, node, port, pgUrl, config.identity().dataDir());
  }

  public TestClient client() {
    return new TestClient(vertx, port);
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
    node.stop().await();
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

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
