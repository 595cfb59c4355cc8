package fincloud.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A pg_auto_failover formation (monitor, primary, synchronous standby) started and stopped with
 * {@code cluster-config/pg-failover.sh}, in a folder of the run; {@link #crashPrimary()} is kill -9
 * of the primary's keeper and postmaster, the way a crash of its machine ends them, and
 * {@link #restart} brings the server back (as the new standby once the engine has promoted the
 * other). The states are read
 * from the monitor's table: a promoted standby reports {@code wait_primary} until the other
 * catches up, then {@code primary}; a killed primary that rejoined reports {@code secondary}.
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

  /** One row of the monitor's table: a node, the state it reports and the state the monitor assigned it. */
  record Member(String name, String reported, String assigned) {
    /** Accepts writes: a primary, or one promoted while its standby is away ({@code wait_primary}). */
    boolean writable() {
      return reported.equals("primary") || reported.equals("wait_primary");
    }

    /** A standby caught up and streaming: the synchronous standby again. */
    boolean standby() {
      return reported.equals("secondary") && assigned.equals("secondary");
    }
  }

  /** The nodes as the monitor lists them ({@code pg_autoctl show state}: name | id | host:port | LSN | connection | reported | assigned). */
  List<Member> members() {
    return status().lines().map(line -> line.split("\\|")).filter(cells -> cells.length >= 7)
        .map(cells -> new Member(cells[0].trim(), cells[5].trim(), cells[6].trim()))
        .filter(member -> member.name().matches("node\\d+")).toList();
  }

  /** Polls the monitor until a node is {@code wanted}; answers its name (empty after {@code within}). */
  Optional<String> await(Duration within, Predicate<Member> wanted) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        Optional<String> node = members().stream().filter(wanted).map(Member::name).findFirst();
        if (node.isPresent()) {
          return node;
        }
      } catch (RuntimeException monitorBusy) {
        // asked again below
      }
      NodeProcess.sleep(200);
    }
    return Optional.empty();
  }

  /**
   * The primary's server crashes, once the formation is settled (a primary with its standby caught
   * up: the state a failover starts from): kill -9 of its pg_autoctl keeper, then of its postmaster,
   * as when the machine dies (a keeper left alive restarts the postmaster within a second, and the
   * engine rightly does not fail over). Answers the name of the node killed; {@link #restart} brings
   * it back.
   */
  String crashPrimary() {
    String primary = await(Duration.ofMinutes(2), member -> member.reported().equals("primary")
        && member.assigned().equals("primary"))
        .orElseThrow(() -> new AssertionError("no settled primary:\n" + status()));
    try {
      long keeper = Files.readAllLines(dir.resolve("pids")).stream().map(line -> line.split(" "))
          .filter(fields -> fields.length == 2 && fields[1].equals(primary)).mapToLong(fields -> Long.parseLong(fields[0]))
          .reduce((first, last) -> last).orElseThrow(() -> new AssertionError("no keeper of " + primary));
      ProcessHandle root = ProcessHandle.of(keeper).orElseThrow(() -> new AssertionError("the keeper of " + primary
          + " (" + keeper + ") is gone"));
      List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
      tree.add(0, root);
      // the keeper's processes first, so that none of them starts the postmaster again
      tree.stream().filter(process -> !isPostgres(process)).forEach(ProcessHandle::destroyForcibly);
      long postmaster = Long.parseLong(Files.readAllLines(dir.resolve(primary).resolve("postmaster.pid")).get(0).trim());
      ProcessHandle.of(postmaster).ifPresent(ProcessHandle::destroyForcibly);
      tree.forEach(ProcessHandle::destroyForcibly);
      return primary;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isPostgres(ProcessHandle process) {
    return process.info().command().map(command -> command.endsWith("/postgres")).orElse(false);
  }

  /** Runs a crashed node's keeper again: it finds out from the monitor that it is no longer the primary, and rejoins. */
  void restart(String node) {
    script("start-node", node);
  }

  void stop() {
    if (Files.exists(dir.resolve("pids"))) {
      script("stop");
    }
  }

  private String script(String command, String... arguments) {
    try {
      List<String> line = new ArrayList<>(List.of("bash", SCRIPT.toString(), command, dir.toString()));
      line.addAll(List.of(arguments));
      Process process = new ProcessBuilder(line)
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
