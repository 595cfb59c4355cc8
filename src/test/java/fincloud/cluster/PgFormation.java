package fincloud.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A pg_auto_failover formation (monitor, primary, synchronous standby) started and stopped with
 * {@code cluster-config/pg-failover.sh}, in a folder of the run; {@link #killPrimary()} is kill -9
 * of the primary's postmaster, the way a crash ends it (its pg_autoctl keeper stays, and brings
 * the server back as the new standby once the engine has promoted the other).
 */
final class PgFormation {
  private static final Path SCRIPT = Path.of("cluster-config/pg-failover.sh");
  private final Path dir;
  private String url;

  PgFormation(Path dir) {
    this.dir = dir;
  }

  /** Starts it and waits for the primary with its synchronous standby; answers the ms it took. */
  long start() {
    long started = System.nanoTime();
    script("start");
    try {
      url = Files.readString(dir.resolve("url")).trim();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return (System.nanoTime() - started) / 1_000_000;
  }

  String url() {
    return url;
  }

  /** The monitor's table of nodes. */
  String status() {
    return script("status");
  }

  /** The name of the node whose reported and assigned states are both {@code state}, if any. */
  Optional<String> nodeIn(String state) {
    return status().lines().map(line -> line.split("\\|")).filter(cells -> cells.length >= 7)
        .filter(cells -> cells[5].trim().equals(state) && cells[6].trim().equals(state))
        .map(cells -> cells[0].trim()).findFirst();
  }

  /** Polls the monitor until a node is in {@code state}; answers its name and when (System.nanoTime). */
  Optional<String> awaitNodeIn(String state, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        Optional<String> node = nodeIn(state);
        if (node.isPresent()) {
          return node;
        }
      } catch (RuntimeException monitorBusy) {
        // asked again below
      }
      NodeProcess.sleep(250);
    }
    return Optional.empty();
  }

  /** kill -9 of the primary's postmaster; answers the name of the node killed. */
  String killPrimary() {
    String primary = nodeIn("primary").orElseThrow(() -> new AssertionError("no primary:\n" + status()));
    try {
      long pid = Long.parseLong(Files.readAllLines(dir.resolve(primary).resolve("postmaster.pid")).get(0).trim());
      ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("postmaster " + pid + " of " + primary + " is gone"))
          .destroyForcibly();
      return primary;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  void stop() {
    if (Files.exists(dir.resolve("pids"))) {
      script("stop");
    }
  }

  private String script(String command) {
    try {
      Process process = new ProcessBuilder(List.of("bash", SCRIPT.toString(), command, dir.toString()))
          .redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(Duration.ofMinutes(6).toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
          || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("pg-failover.sh " + command + " failed:\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
