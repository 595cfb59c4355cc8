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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault: slow clients and a connection flood against one node (its own JVM, embedded PostgreSQL),
 * while a well-behaved client (4 threads, one transfer after another) keeps transacting. The flood
 * holds {@code -Dfaults.slow.idle} (3000) connections that never send a byte,
 * {@code -Dfaults.slow.keptAlive} (500) that fall silent after one request,
 * {@code -Dfaults.slow.headers} (1000) that trickle a request's headers one byte a second, and
 * {@code -Dfaults.slow.bodies} (1000) that send complete headers of a transfer (another tenant's
 * valid token, Content-Length {@code -Dfaults.slow.bodyBytes}, 4096) and then its body one byte a second, for
 * {@code -Dfaults.slow.seconds} (90).
 * A newcomer reads a balance on a new connection four times a second throughout. Checked: the node
 * stays up and ready, the steady client and the newcomers get no error, the steady client's p99
 * stays within max(1 s, 3 x its baseline p99), the node closes the idle connections and the slow
 * ones (idle timeout, read deadlines), and after the flood its open files return to about where they
 * were. Reported: what the node did with the hostile connections, second by second.
 * Report: {@code loadtest/results/<date>-faults-slow-clients.md} (with the counts in the name when
 * they are not the defaults).
 */
class SlowClientsFaultIT {
  private static final Duration BOOT = Duration.ofSeconds(120);

  @Test
  @Timeout(900)
  void slowAndIdleConnectionsDoNotStopOthers() throws Exception {
    int idle = Integer.getInteger("faults.slow.idle", 3000);
    int keptAlive = Integer.getInteger("faults.slow.keptAlive", 500);
    int slowHeaders = Integer.getInteger("faults.slow.headers", 1000);
    int slowBodies = Integer.getInteger("faults.slow.bodies", 1000);
    int seconds = Integer.getInteger("faults.slow.seconds", 90);
    int bodyBytes = Integer.getInteger("faults.slow.bodyBytes", 4096);
    boolean defaults = idle == 3000 && keptAlive == 500 && slowHeaders == 1000 && slowBodies == 1000;
    FaultReport report = new FaultReport("slow-clients" + (defaults ? "" : String.format("-%d-idle-%d-kept-%d-headers-%d-bodies",
        idle, keptAlive, slowHeaders, slowBodies)) + (bodyBytes == 4096 ? "" : "-of-" + bodyBytes + "-bytes"),
        "Fault: slow clients and a connection flood");
    // Bodies past the 64 KiB of a transfer go to the batch route (1 MiB).
    String bodyPath = bodyBytes > 64 * 1024 ? "/v1/transfers/batch" : "/v1/transfers";
    Path dir = ClusterHarness.workDirectory().resolve("faults-slow-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("fincloud.json"), new JsonObject().encode());
    NodeProcess node = new NodeProcess("node", ClusterHarness.freePort(), Map.of(),
        List.of("--config", dir.resolve("fincloud.json").toString()), dir);
    SteadyClient steady = null;
    SteadyClient newcomers = null;
    try {
      node.start().awaitReady(BOOT);
      String teller = Api.token(node, "acme-teller");
      String admin = Api.token(node, "acme-admin");
      String bank = Api.openAccount(node, admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      List<String> accounts = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String account = Api.openAccount(node, teller, new JsonObject().put("currency", "EUR"));
        Api.transfer(node, teller, bank, account, 1_000_000, "EUR");
        accounts.add(account);
      }
      long fdsBefore = openFiles(node);
      report.did("Started one node (all roles, embedded PostgreSQL, default configuration, `%s`); the node's limit"
          + " of open files: %s; the test JVM's: %s. Opened and funded 20 EUR accounts.",
          "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1", maxOpenFiles(node.pid()), maxOpenFiles(ProcessHandle.current().pid()));

      steady = new SteadyClient(node, teller, accounts, 4, "baseline (20 s)", false);
      newcomers = new SteadyClient(node, teller, accounts, 1, "baseline (20 s)", true);
      NodeProcess.sleep(20_000);
      steady.phase("flood (" + seconds + " s)");
      newcomers.phase("flood (" + seconds + " s)");
      Map<SlowSockets.Kind, Integer> allClosedAt = new java.util.EnumMap<>(SlowSockets.Kind.class);
      List<String> samples = new ArrayList<>();
      boolean alwaysReady = true;
      long maxFds = 0;
      try (SlowSockets hostile = new SlowSockets(node.httpPort)) {
        long opening = System.nanoTime();
        hostile.open(SlowSockets.Kind.IDLE, idle, null);
        hostile.open(SlowSockets.Kind.IDLE_AFTER_A_REQUEST, keptAlive, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        hostile.open(SlowSockets.Kind.SLOW_HEADERS, slowHeaders,
            "POST /v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
        // With a valid token (another tenant's client): a request without one is refused on its
        // headers, its body never read.
        hostile.open(SlowSockets.Kind.SLOW_BODY, slowBodies, "POST " + bodyPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer " + Api.token(node, "globex-teller") + "\r\nIdempotency-Key: slowloris\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + bodyBytes + "\r\n\r\n{");
        long openedMs = (System.nanoTime() - opening) / 1_000_000;
        report.did("Opened %d idle connections (never a byte), %d kept-alive connections silent after one request"
            + " (GET /health/live), %d slow-header connections (a request line, then a"
            + " header one byte a second, never finished) and %d slow-body connections (complete headers of a"
            + " POST " + bodyPath + " with another tenant's valid token, Content-Length " + bodyBytes
            + ", then the body one byte a second) in %d ms;"
            + " %d failed to connect. Held them for %d s, one byte per slow connection per second.",
            idle, keptAlive, slowHeaders, slowBodies, openedMs, hostile.failedToConnect(), seconds);
        long flooding = System.nanoTime();
        for (int second = 1; second <= seconds; second++) {
          long next = flooding + second * 1_000_000_000L;
          hostile.tick();
          final int now = second;
          hostile.counts().forEach((kind, c) -> {
            if (c[0] == 0) {
              allClosedAt.putIfAbsent(kind, now);
            }
          });
          if (second % 10 == 0 || second == 1) {
            int ready = node.status("/health/ready");
            alwaysReady &= ready == 200;
            long fds = openFiles(node);
            maxFds = Math.max(maxFds, fds);
            samples.add(String.format("| %d | %d | %d | %s | %s | %s |", second, ready, fds,
                gauge(node, "fincloud_gateway_in_flight"), gauge(node, "fincloud_gateway_body_bytes"), hostile.describe()));
          }
          NodeProcess.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
        }
        report.did("At the end of the flood: %s. Every connection of a kind was closed by the node %s second(s) into"
            + " the flood.", hostile.describe(), allClosedAt);
        steady.phase("after the flood (20 s)");
        newcomers.phase("after the flood (20 s)");
        Map<SlowSockets.Kind, String> rules = Map.of(
            SlowSockets.Kind.IDLE, "a new connection must send a request within gateway.requestReadTimeoutMs, 10 s",
            SlowSockets.Kind.IDLE_AFTER_A_REQUEST, "a kept-alive connection must send its next request within"
                + " gateway.idleTimeoutSeconds, 75 s",
            SlowSockets.Kind.SLOW_HEADERS, "a request's headers are due within gateway.requestReadTimeoutMs, 10 s",
            SlowSockets.Kind.SLOW_BODY, "a request's body is due within gateway.requestReadTimeoutMs, 10 s, of its headers");
        Map<SlowSockets.Kind, Integer> dueBy = Map.of(SlowSockets.Kind.IDLE, 25, SlowSockets.Kind.IDLE_AFTER_A_REQUEST, 85,
            SlowSockets.Kind.SLOW_HEADERS, 25, SlowSockets.Kind.SLOW_BODY, 25);
        for (SlowSockets.Kind kind : hostile.counts().keySet()) {
          if (seconds >= dueBy.get(kind)) {
            report.check(allClosedAt.containsKey(kind), "the node closed every %s connection (%s): all closed %s s into"
                + " the flood", kind, rules.get(kind), allClosedAt.get(kind));
          }
        }
      }
      NodeProcess.sleep(20_000);
      steady.close();
      newcomers.close();
      long fdsAfter = openFiles(node);

      Map<String, SteadyClient.Phase> phases = steady.phases();
      List<SteadyClient.Phase> list = new ArrayList<>(phases.values());
      SteadyClient.Phase baseline = list.get(0);
      SteadyClient.Phase flood = list.get(1);
      SteadyClient.Phase after = list.get(2);
      double saneP99 = Math.max(1000, 3 * baseline.percentile(99));
      report.check(node.alive() && alwaysReady, "the node stayed up and /health/ready answered 200 at every sample");
      report.check(flood.errors() == 0 && after.errors() == 0, "the steady client got no error during and after the"
          + " flood: %s / %s", flood.answers, after.answers);
      report.check(flood.count() > 0 && flood.percentile(99) <= saneP99, "the steady client's p99 during the flood"
          + " (%.1f ms) stayed within max(1 s, 3 x its baseline p99 of %.1f ms)", flood.percentile(99), baseline.percentile(99));
      List<SteadyClient.Phase> arrivals = new ArrayList<>(newcomers.phases().values());
      report.check(arrivals.get(1).errors() == 0 && arrivals.get(2).errors() == 0 && arrivals.get(1).count() > 0,
          "newcomers (a balance read on a new connection, 4 a second) got no error during and after the flood: %s / %s",
          arrivals.get(1).answers, arrivals.get(2).answers);
      report.check(fdsAfter <= fdsBefore + 100, "the node's open files went back after the flood: %d before, at most %d"
          + " during, %d after", fdsBefore, maxFds, fdsAfter);
      StringBuilder table = new StringBuilder("## The steady client\n\n4 threads, one transfer after another.\n\n")
          .append(SteadyClient.TABLE_HEAD);
      double[] lengths = {20, seconds, 20};
      int i = 0;
      for (Map.Entry<String, SteadyClient.Phase> phase : phases.entrySet()) {
        table.append(phase.getValue().row(phase.getKey(), lengths[Math.min(i++, 2)])).append('\n');
      }
      table.append("\nNewcomers: a balance read on a new connection (Connection: close), 4 a second.\n\n")
          .append(SteadyClient.TABLE_HEAD);
      i = 0;
      for (Map.Entry<String, SteadyClient.Phase> phase : newcomers.phases().entrySet()) {
        table.append(phase.getValue().row(phase.getKey(), lengths[Math.min(i++, 2)])).append('\n');
      }
      report.note(table.toString());
      report.note("## During the flood\n\n| second | /health/ready | node's open files | gateway in flight | body bytes"
          + " held | hostile connections |\n|---|---|---|---|---|---|\n" + String.join("\n", samples) + "\n");
    } catch (Throwable failure) {
      report.check(false, "the run completed: %s", failure);
      report.log("node", node.logText());
      throw failure;
    } finally {
      if (steady != null) {
        steady.close();
      }
      if (newcomers != null) {
        newcomers.close();
      }
      node.kill();
      node.stopEmbeddedPostgres();
      report.write();
    }
    report.assertAllHeld();
  }

  private static long openFiles(NodeProcess node) {
    try (var files = Files.list(Path.of("/proc", Long.toString(node.pid()), "fd"))) {
      return files.count();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static String maxOpenFiles(long pid) {
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits")).stream()
          .filter(line -> line.startsWith("Max open files")).map(line -> line.replaceAll("\\s+", " ").trim()
              .replace("Max open files ", "soft/hard "))
          .findFirst().orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** A gauge's value from the node's /metrics, as text. */
  static String gauge(NodeProcess node, String name) {
    try {
      for (String line : node.management("/metrics").split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
          return line.substring(line.lastIndexOf(' ') + 1);
        }
      }
      return "-";
    } catch (RuntimeException e) {
      return "no answer";
    }
  }
}
