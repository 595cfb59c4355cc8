package fincloud.node;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run from the jar, its data kept in {@code <data dir>/postgres} across
 * restarts. The library starts the server without fsync and its builder turns synchronous commit
 * off; both are turned back on here, and {@link DatabaseSettings} checks that they are. After a
 * kill -9 of the server (or of the machine) it starts again on the same data: PostgreSQL recovers
 * from its WAL, once the killed server's processes are gone ({@link KilledServer}).
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final EmbeddedPostgres postgres;
  private final String url;
  private final Path pgData;

  private EmbeddedDatabase(EmbeddedPostgres postgres, Path pgData) {
    this.postgres = postgres;
    this.pgData = pgData;
    this.url = "postgresql://postgres:postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
  }

  /** Blocking: call from main or a worker, never from an event loop. */
  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
    return start(dataDir, port, Map.of());
  }

  /** @param serverConfig further server settings, e.g. {@code ssl} and its certificate files */
  public static EmbeddedDatabase start(Path dataDir, int port, Map<String, String> serverConfig) throws IOException {
    // Normalized: the postmaster's command line (-D) is how a later start recognizes an orphan of it.
    Path pgData = dataDir.resolve("postgres").toAbsolutePath().normalize();
    Files.createDirectories(pgData);
    KilledServer.awaitGone(pgData, Duration.ofSeconds(30));
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(false)
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on")
        .setServerConfig("listen_addresses", "127.0.0.1")
        // TCP only: no socket (and socket lock file naming the postmaster's pid) in the shared /tmp,
        // which would keep a server killed with kill -9 from starting again until its pid is reaped.
        .setServerConfig("unix_socket_directories", "''")
        .setServerConfig("max_connections", "200")
        .setServerConfig("shared_buffers", "256MB")
        .setPGStartupWait(Duration.ofSeconds(60));
    serverConfig.forEach(builder::setServerConfig);
    if (port > 0) {
      builder.setPort(port);
    }
    EmbeddedDatabase database = new EmbeddedDatabase(builder.start(), pgData);
    Files.writeString(dataDir.resolve("postgres.url"), database.url + "\n", StandardCharsets.UTF_8);
    LOG.info("embedded PostgreSQL started at 127.0.0.1:{} with data in {}", database.port(), pgData);
    return database;
  }

  /** The postmaster process, from its lock file (empty if it cannot be read). */
  public Optional<ProcessHandle> server() {
    try {
      String pid = Files.readAllLines(pgData.resolve("postmaster.pid")).get(0).trim();
      return ProcessHandle.of(Long.parseLong(pid));
    } catch (IOException | RuntimeException unreadable) {
      return Optional.empty();
    }
  }

  public String url() {
    return url;
  }

  public int port() {
    return postgres.getPort();
  }

  @Override
  public void close() throws IOException {
    postgres.close();
    LOG.info("embedded PostgreSQL stopped");
  }
}
