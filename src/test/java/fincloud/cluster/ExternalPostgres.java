package fincloud.cluster;

import fincloud.node.DatabaseSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A PostgreSQL server the test controls: {@code java -jar fincloud.jar postgres} in its own JVM,
 * with its own data folder and a fixed port, so that a node pointed at it (FINCLOUD_PG_URL) keeps
 * its URL across a crash and a restart. {@link #crash()} is kill -9 of the postmaster, the way a
 * machine or the OOM killer ends it.
 */
final class ExternalPostgres {
  final int port;
  private final Path dataDir;
  private final NodeProcess process;

  ExternalPostgres(Path dir, int port) {
    this.port = port;
    this.process = new NodeProcess("postgres", ClusterHarness.freePort(),
        Map.of("FINCLOUD_PG_PORT", Integer.toString(port)), List.of("postgres"), dir)
        .jvmOptions(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    this.dataDir = dir.resolve("postgres-data");
  }

  String url() {
    return "postgresql://postgres:postgres@127.0.0.1:" + port + "/postgres";
  }

  /** Starts the server on its data folder and waits until it accepts a connection; answers the ms it took. */
  long start(Duration within) {
    long started = System.nanoTime();
    try {
      Files.deleteIfExists(dataDir.resolve("postgres.url"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    process.start();
    long deadline = started + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.alive()) {
        throw new AssertionError("the postgres JVM exited:\n" + process.logTail());
      }
      if (Files.isRegularFile(dataDir.resolve("postgres.url")) && accepts()) {
        return (System.nanoTime() - started) / 1_000_000;
      }
      NodeProcess.sleep(100);
    }
    throw new AssertionError("PostgreSQL did not start within " + within + ":\n" + process.logTail());
  }

  /** The postmaster's process, from its lock file, if it is alive and serves this data folder. */
  Optional<ProcessHandle> postmaster() {
    try {
      long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).get(0).trim());
      String pgData = dataDir.resolve("postgres").toAbsolutePath().toString();
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(process -> process.info().commandLine().map(line -> line.contains(pgData)).orElse(false));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * kill -9 of the postmaster (its backends then exit by themselves). The postgres JVM is expected
   * to notice and exit on its own; answers whether it did within 15 s (it is killed otherwise).
   */
  boolean crash() {
    ProcessHandle postmaster = postmaster().orElseThrow(() -> new AssertionError("no postmaster.pid"));
    postmaster.destroyForcibly();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (process.alive() && System.nanoTime() < deadline) {
      NodeProcess.sleep(50);
    }
    boolean exitedByItself = !process.alive();
    process.kill();
    return exitedByItself;
  }

  /** kill -9 of the postgres JVM alone; answers whether its server runs on without it (orphaned). */
  boolean crashJvmOnly() {
    process.kill();
    return postmaster().isPresent();
  }

  void stop() {
    if (process.alive() && !process.terminate(Duration.ofSeconds(30))) {
      process.kill();
    }
    // A postmaster left behind (the JVM killed before it stopped its server) goes too.
    postmaster().ifPresent(ProcessHandle::destroyForcibly);
  }

  String logText() {
    return process.logText();
  }

  private boolean accepts() {
    try (Connection connection = DatabaseSettings.connect(url())) {
      return connection.isValid(2);
    } catch (Exception e) {
      return false;
    }
  }
}
