package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Soak: one node (its own JVM, {@code -Xmx512m}, default GC and compilers, embedded PostgreSQL)
 * under transfers at half of its peak for {@code -Dfaults.soak.minutes} (10). The peak is measured
 * first (64 requests always out, 20 s of warm-up, 20 s measured) unless {@code -Dfaults.soak.rate}
 * gives the rate. The load is an open model (latency from each request's intended time). Every
 * minute: the latencies, the node's RSS, threads and open files, its live heap after a full GC
 * (jcmd GC.class_histogram: the pause is in that minute's latencies), and the largest ledger
 * queue, ledger groups in flight and gateway requests in flight seen in samples every 5 s.
 * Checked: no error; the heap after GC at the end within 25% + 16 MiB of the first minute's; the
 * ledger queue not growing (the last minute's largest sample within max(100, 2 x the first
 * minute's)) and empty once the load stops; the books balance; latency, RSS, threads and open
 * files of the last minute against minute 2 (the first after warm-up), with room for a shared
 * machine: p50 within 2 x + 5 ms, p99 within 3 x + 20 ms, RSS within 25% + 32 MiB, threads + 10,
 * files + 50 — a leak or a growing queue crosses them within ten minutes, noise does not. Report:
 * {@code loadtest/results/<date>-faults-soak.md}.
 */
class SoakFaultIT {
  private static final Duration BOOT = Duration.ofSeconds(120);

  @Test
  @Timeout(7200)
  void halfOfPeakForMinutesStaysFlat() throws Exception {
    int minutes = Integer.getInteger("faults.soak.minutes", 10);
    String fixedRate = System.getProperty("faults.soak.rate");
    FaultReport report = new FaultReport("soak", "Soak at half of peak");
    Path dir = ClusterHarness.workDirectory().resolve("faults-soak-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("fincloud.json"), new JsonObject().encode());
    NodeProcess node = new NodeProcess("node", ClusterHarness.freePort(), Map.of(),
        List.of("--config", dir.resolve("fincloud.json").toString()), dir).jvmOptions(List.of("-Xmx512m"));
    try {
      node.start().awaitReady(BOOT);
      String admin = Api.token(node, "acme-admin");
      String teller = Api.token(node, "acme-teller");
      String bank = Api.openAccount(node, admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      List<String> accounts = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        String account = Api.openAccount(node, teller, new JsonObject().put("currency", "EUR"));
        Api.transfer(node, teller, bank, account, 10_000_000, "EUR");
        accounts.add(account);
      }
      report.did("Started one node (all roles, embedded PostgreSQL, default configuration, `-Xmx512m`, default GC)"
          + " and funded 100 EUR accounts.");
      try (OpenLoad load = new OpenLoad(node.httpPort, teller, accounts)) {
        double rate;
        if (fixedRate != null) {
          rate = Double.parseDouble(fixedRate);
          report.did("Rate given: %.1f transfers/s.", rate);
        } else {
          double peak = load.peak(64, 20_000, 20_000);
          rate = Math.max(1, Math.floor(peak / 2));
          report.did("Measured the peak: %.1f transfers/s answered 201 (closed loop, 64 requests always out, 20 s"
              + " warm-up, 20 s measured); soak rate: half of it, %.0f/s.", peak, rate);
        }
        NodeProcess.sleep(5_000);
        List<Minute> rows = new ArrayList<>();
        load.roll();
        load.start(rate);
        long started = System.nanoTime();
        for (int minute = 1; minute <= minutes; minute++) {
          Minute row = new Minute(minute);
          long end = started + minute * 60_000_000_000L;
          while (System.nanoTime() < end - 5_000_000_000L) {
            row.sample(node);
            NodeProcess.sleep(5_000);
          }
          NodeProcess.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000));
          row.window = load.roll();
          row.endOfMinute(node);
          rows.add(row);
          report.did("Minute %d: %s", minute, row.summary());
        }
        load.stop();
        OpenLoad.Window tail = load.roll();
        NodeProcess.sleep(5_000);
        long queueAfter = (long) metric(node, "fincloud_ledger_queue");
        long inFlightAfter = (long) metric(node, "fincloud_gateway_in_flight");
        report.did("Stopped the load after %d minutes at %.0f/s (%d answers came in after the last minute ended: %s).",
            minutes, rate, tail.size(), tail.answers);

        long errors = rows.stream().mapToLong(r -> r.window.errors()).sum() + tail.errors();
        long answered = rows.stream().mapToLong(r -> r.window.size()).sum() + tail.size();
        report.check(errors == 0, "no error over the soak: %d errors in %d requests", errors, answered);
        Minute first = rows.get(0);
        Minute last = rows.get(rows.size() - 1);
        report.check(last.heapAfterGcMiB <= first.heapAfterGcMiB * 1.25 + 16, "heap after a full GC flat: %.1f MiB after"
            + " minute 1, %.1f MiB after minute %d", first.heapAfterGcMiB, last.heapAfterGcMiB, last.number);
        report.check(last.maxQueue <= Math.max(100, 2 * first.maxQueue), "ledger queue not growing: largest sample %d in"
            + " minute 1, %d in minute %d", first.maxQueue, last.maxQueue, last.number);
        // Latency, RSS, threads and files against minute 2: minute 1 still warms the JIT up and
        // holds the heap grown while the peak was measured.
        Minute settled = rows.get(Math.min(1, rows.size() - 1));
        report.check(last.window.percentile(50) <= 2 * settled.window.percentile(50) + 5
            && last.window.percentile(99) <= 3 * settled.window.percentile(99) + 20, "latency flat: p50 %.1f ms and"
            + " p99 %.1f ms in minute %d, %.1f ms and %.1f ms in minute %d", settled.window.percentile(50),
            settled.window.percentile(99), settled.number, last.window.percentile(50), last.window.percentile(99),
            last.number);
        report.check(last.rssMiB <= settled.rssMiB * 1.25 + 32 && last.threads <= settled.threads + 10
            && last.files <= settled.files + 50, "RSS, threads and open files flat: %.0f MiB, %d, %d in minute %d;"
            + " %.0f MiB, %d, %d in minute %d", settled.rssMiB, settled.threads, settled.files, settled.number,
            last.rssMiB, last.threads, last.files, last.number);
        report.check(queueAfter == 0 && inFlightAfter == 0, "ledger queue and gateway in-flight empty 5 s after the load"
            + " stopped: %d, %d", queueAfter, inFlightAfter);
        String pgUrl = Files.readString(dir.resolve("node-data/postgres.url")).trim();
        Books.read(pgUrl).checkLedger(report);
        report.note("## Minute by minute\n\nLatency from each request's intended time (open model), ms. Heap after"
            + " GC: the live objects counted by `jcmd GC.class_histogram` (a full GC) at the end of the minute. Queue and in-flight: the largest of"
            + " the samples taken every 5 s.\n\n| minute | requests | p50 | p99 | max | errors | RSS MiB | heap after GC"
            + " MiB | threads | open files | ledger queue | ledger groups in flight | gateway in flight | load average"
            + " |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            + String.join("\n", rows.stream().map(Minute::row).toList()) + "\n");
        report.note(String.format("## Trend\n\nFrom minute 1 to minute %d: p50 %.1f to %.1f ms, p99 %.1f to %.1f ms,"
            + " RSS %.0f to %.0f MiB, heap after GC %.1f to %.1f MiB, threads %d to %d, open files %d to %d. (RSS at the"
            + " end of minute 1 still holds the heap grown while the peak was measured; the JVM gives it back after"
            + " the full GCs of the heap measurement.)%n",
            last.number, first.window.percentile(50), last.window.percentile(50), first.window.percentile(99),
            last.window.percentile(99), first.rssMiB, last.rssMiB, first.heapAfterGcMiB, last.heapAfterGcMiB,
            first.threads, last.threads, first.files, last.files));
      }
    } catch (Throwable failure) {
      report.check(false, "the run completed: %s", failure);
      report.log("node", node.logText());
      throw failure;
    } finally {
      node.kill();
      node.stopEmbeddedPostgres();
      report.write();
    }
    report.assertAllHeld();
  }

  /** What one minute of the soak saw. */
  private static final class Minute {
    final int number;
    OpenLoad.Window window;
    long maxQueue;
    long maxGroups;
    long maxInFlight;
    double rssMiB;
    double heapAfterGcMiB;
    long threads;
    long files;
    String load;

    Minute(int number) {
      this.number = number;
    }

    void sample(NodeProcess node) {
      maxQueue = Math.max(maxQueue, (long) metric(node, "fincloud_ledger_queue"));
      maxGroups = Math.max(maxGroups, (long) metric(node, "fincloud_ledger_groups_in_flight"));
      maxInFlight = Math.max(maxInFlight, (long) metric(node, "fincloud_gateway_in_flight"));
    }

    void endOfMinute(NodeProcess node) {
      Map<String, Long> status = procStatus(node.pid());
      rssMiB = status.getOrDefault("VmRSS", 0L) / 1024.0;
      threads = status.getOrDefault("Threads", 0L);
      files = openFiles(node.pid());
      heapAfterGcMiB = heapAfterFullGc(node.pid());
      load = FaultReport.loadAverage();
    }

    String summary() {
      return String.format("%d requests, p50 %.1f ms, p99 %.1f ms, answers %s, RSS %.0f MiB, heap after GC %.1f MiB,"
          + " largest ledger queue %d", window.size(), window.percentile(50), window.percentile(99), window.answers,
          rssMiB, heapAfterGcMiB, maxQueue);
    }

    String row() {
      return String.format("| %d | %d | %.1f | %.1f | %.1f | %d | %.0f | %.1f | %d | %d | %d | %d | %d | %s |", number,
          window.size(), window.percentile(50), window.percentile(99), window.percentile(100), window.errors(), rssMiB,
          heapAfterGcMiB, threads, files, maxQueue, maxGroups, maxInFlight, load);
    }
  }

  /** A gauge's value from the node's /metrics (the sum over its series), or -1 without an answer. */
  static double metric(NodeProcess node, String name) {
    try {
      double sum = 0;
      for (String line : node.management("/metrics").split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static Map<String, Long> procStatus(long pid) {
    Map<String, Long> values = new java.util.HashMap<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        String[] parts = line.split(":\\s+");
        if (parts.length == 2 && (parts[0].equals("VmRSS") || parts[0].equals("Threads"))) {
          values.put(parts[0], Long.parseLong(parts[1].replace(" kB", "").trim()));
        }
      }
    } catch (IOException | RuntimeException e) {
      // left out
    }
    return values;
  }

  private static long openFiles(long pid) {
    try (var files = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return files.count();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

  /**
   * The node's live heap (MiB): {@code jcmd GC.class_histogram} runs a full GC and then counts the
   * objects left at the same safepoint, so nothing allocated after the GC is counted; -1 if jcmd is
   * missing or says something else.
   */
  private static double heapAfterFullGc(long pid) {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    Matcher total = TOTAL.matcher(jcmd(jcmd, pid, "GC.class_histogram"));
    return total.find() ? Long.parseLong(total.group(1)) / (1024.0 * 1024.0) : -1;
  }

  private static String jcmd(String jcmd, long pid, String command) {
    try {
      Process process = new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes());
      process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
