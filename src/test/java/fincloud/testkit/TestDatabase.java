package fincloud.testkit;

import fincloud.node.DatabaseSettings;
import fincloud.node.EmbeddedDatabase;
import fincloud.node.Migrations;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;

/**
 * One real PostgreSQL server per test JVM (the node's own embedded server, durable settings and
 * all), and a fresh, migrated database on it for each caller, so that test classes never see each
 * other's rows. The server stops when the JVM exits.
 */
public final class TestDatabase {
  private static EmbeddedDatabase server;

  private TestDatabase() {
  }

  /** The URL of the shared server's maintenance database. */
  public static synchronized String serverUrl() {
    if (server == null) {
      try {
        Path dir = Files.createTempDirectory("fincloud-test-pg");
        server = EmbeddedDatabase.start(dir, 0);
        EmbeddedDatabase started = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            started.close();
          } catch (Exception ignored) {
            // the JVM is going away
          }
        }));
      } catch (Exception e) {
        throw new IllegalStateException("could not start the test PostgreSQL", e);
      }
    }
    return server.url();
  }

  /** A new database on the shared server with the schema migrated; its URL. Blocking. */
  public static String freshDatabase() {
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    String url = serverUrl();
    try (Connection connection = DatabaseSettings.connect(url); Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    String databaseUrl = url.substring(0, url.lastIndexOf('/') + 1) + name;
    Migrations.migrate(databaseUrl);
    return databaseUrl;
  }

  public static int port() {
    return PgConnectOptions.fromUri(serverUrl()).getPort();
  }
}
