package fincloud.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One FinCloud node in its own JVM ({@code java -Xmx384m -jar target/fincloud.jar}; serial GC and
 * the quick compiler only, which start faster on a small shared machine) on loopback,
 * its output in a log file. {@link #kill()} is kill -9, {@link #terminate()} is SIGTERM (the
 * graceful leave). A node can be started again on the same port and data folder.
 */
final class NodeProcess {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  /** Every JVM started, killed when the test JVM exits however it ends (a timeout, Ctrl-C). */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-node-jvms"));
  }

  final String name;
  final int httpPort;
  private final Map<String, String> env;
  private final List<String> args;
  private final Path log;
  private List<String> jvmOptions = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  private Process process;

  NodeProcess(String name, int httpPort, Map<String, String> env, List<String> args, Path dir) {
    this.name = name;
    this.httpPort = httpPort;
    this.env = new HashMap<>(env);
    // The nodes of these tests share an external PostgreSQL: demo mode (the demo clients) must be asked for.
    this.env.putIfAbsent("FINCLOUD_DEMO", "true");
    this.args = args;
    this.log = dir.resolve(name + ".log");
    this.env.put("FINCLOUD_HTTP_PORT", Integer.toString(httpPort));
    this.env.put("FINCLOUD_DATA_DIR", dir.resolve(name + "-data").toString());
  }

  static Path jar() {
    Path jar = Path.of(System.getProperty("fincloud.jar", "target/fincloud.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no " + jar + ": multi-process tests run after package (mvn verify)");
    }
    return jar;
  }

  /** Replaces the JVM options (default: a small heap, serial GC, the quick compiler only). */
  NodeProcess jvmOptions(List<String> options) {
    jvmOptions = List.copyOf(options);
    return this;
  }

  NodeProcess start() {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar().toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    try {
      Process started = builder.start();
      LIVE.add(started);
      started.onExit().thenRun(() -> LIVE.remove(started));
      process = started;
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + name, e);
    }
    return this;
  }

  /** Polls /health/ready until it answers 200; fails with the log's tail otherwise. */
  NodeProcess awaitReady(Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + logTail());
      }
      if (status("/health/ready") == 200) {
        return this;
      }
      sleep(250);
    }
    throw new AssertionError(name + " was not ready within " + within + ":\n" + logTail());
  }

  int status(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(3)).GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** {@code /metrics} and detailed health: on the node's management listener (HTTP port + 1000). */
  String management(String path) {
    return get(URI.create("http://127.0.0.1:" + (httpPort + 1000) + path));
  }

  String get(String path) {
    return get(uri(path));
  }

  private String get(URI uri) {
    try {
      return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** Sends a signal by name (STOP, CONT, ...) with kill(1). */
  void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Stops the PostgreSQL server a node embeds (in its data folder), which a node killed with
   * kill -9 leaves running: a fast shutdown, then kill -9 if it is still there after 10 s.
   */
  void stopEmbeddedPostgres() {
    Path pgData = Path.of(env.get("FINCLOUD_DATA_DIR"), "postgres").toAbsolutePath();
    try {
      long pid = Long.parseLong(Files.readAllLines(pgData.resolve("postmaster.pid")).get(0).trim());
      ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(server -> server.info().commandLine().map(line -> line.contains(pgData.toString())).orElse(false))
          .ifPresent(server -> {
            try {
              new ProcessBuilder("kill", "-INT", Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
              server.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception notStopped) {
              server.destroyForcibly();
            }
          });
    } catch (IOException | RuntimeException noServer) {
      // nothing embedded, or already stopped
    }
  }

  /** kill -9. */
  void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(10));
    }
  }

  /** SIGTERM: the node drains and leaves; answers whether it exited within the time given. */
  boolean terminate(Duration within) {
    process.destroy();
    return waitFor(within);
  }

  private boolean waitFor(Duration within) {
    try {
      return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
