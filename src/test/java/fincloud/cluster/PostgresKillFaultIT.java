package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault: kill -9 of the PostgreSQL server under load, then a restart on the same data. One node
 * (its own JVM) uses a server the test controls ({@code java -jar fincloud.jar postgres}, its own
 * data folder and port); bank clients move money through it with an Idempotency-Key each (also the
 * transfer's reference), and try again with the same key when told to. The server is killed
 * {@code -Dfaults.pg.kills} times (default 3) and started again; then the postgres JVM alone is
 * killed (its server runs on, orphaned) and a new one started on the same data. Checked: the
 * postgres JVM exits by itself when its server dies and the server starts again on the killed
 * data; a new postgres JVM stops an orphaned server and starts it again; the node, never
 * restarted, goes not-ready and comes back by itself and acknowledges transfers again; no
 * acknowledged transfer is lost or doubled; the books balance (read through the API throughout,
 * and in SQL at the end); and the transfers left unanswered by the outages, sent again with their
 * keys, took effect at most once. Report: {@code loadtest/results/<date>-faults-postgres-kill.md}.
 */
class PostgresKillFaultIT {
  private static final Duration BOOT = Duration.ofSeconds(120);

  @Test
  @Timeout(900)
  void killingThePostgresServerLosesAndDoublesNothing() throws Exception {
    int kills = Integer.getInteger("faults.pg.kills", 3);
    FaultReport report = new FaultReport("postgres-kill", "Fault: kill -9 of the PostgreSQL server under load");
    Path dir = ClusterHarness.workDirectory().resolve("faults-pg-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("fincloud.json"), new JsonObject().encode());
    ExternalPostgres postgres = new ExternalPostgres(dir, ClusterHarness.freePort());
    NodeProcess node = null;
    try {
      long firstStart = postgres.start(BOOT);
      node = new NodeProcess("node", ClusterHarness.freePort(), Map.of("FINCLOUD_PG_URL", postgres.url()),
          List.of("--config", dir.resolve("fincloud.json").toString()), dir);
      node.start().awaitReady(BOOT);
      report.did("Started `java -jar fincloud.jar postgres` (own data folder, port %d; up in %d ms) and one node"
          + " (all roles, its own JVM, FINCLOUD_PG_URL pointing at that server).", postgres.port, firstStart);
      String teller = Api.token(node, "acme-teller");
      String admin = Api.token(node, "acme-admin");
      String bank = Api.openAccount(node, admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      List<String> accounts = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String account = Api.openAccount(node, teller, new JsonObject().put("currency", "EUR"));
        Api.transfer(node, teller, bank, account, 5_000, "EUR");
        accounts.add(account);
      }
      report.did("Opened 12 EUR accounts of acme and funded each with 50.00 from an allowNegative account.");

      List<NodeProcess> gateways = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(node));
      List<String> outages = new ArrayList<>();
      try (BankWorkload clients = new BankWorkload(gateways, teller, accounts, "EUR");
          TrialBalanceWatch watch = new TrialBalanceWatch(gateways, admin, 250)) {
        clients.start(8);
        report.did("Started 8 client threads: transfers of 0.01-0.50 between random accounts (each with its own"
            + " Idempotency-Key, also its `reference`; up to 20 tries with the same key, 100 ms apart, on 503,"
            + " 409 IDEMPOTENCY_IN_FLIGHT, a risk fallback refusal or a dropped connection) and balance reads;"
            + " a watcher reads the trial balance every 250 ms.");
        NodeProcess.sleep(10_000);
        for (int kill = 1; kill <= kills; kill++) {
          outages.add(outage(kill, postgres, node, clients, report));
          NodeProcess.sleep(8_000);
        }
        outages.add(orphan(kills + 1, postgres, node, clients, report));
        NodeProcess.sleep(5_000);
        clients.close();
        watch.close();
        report.did("Stopped the clients: %d transfers acknowledged (201), %d left unanswered after 20 tries; answers by"
            + " kind: %s.", clients.acked.size(), clients.unanswered.size(), clients.outcomes());

        // A client whose request went unanswered tries again later with the same key: at most one effect.
        Map<String, Long> retried = new TreeMap<>();
        List<String> retryProblems = new ArrayList<>();
        List<BankWorkload.Acked> acked = new ArrayList<>(clients.acked);
        for (BankWorkload.Unanswered transfer : clients.unanswered) {
          Resent answer = resend(node, teller, transfer);
          retried.merge(answer.outcome(), 1L, Long::sum);
          if (answer.status() == 201) {
            acked.add(new BankWorkload.Acked(transfer.key(), answer.transferId()));
          }
        }
        report.did("Sent the %d unanswered transfers again, each with its own key and body: %s.",
            clients.unanswered.size(), retried);

        Books books = Books.read(postgres.url());
        for (BankWorkload.Unanswered transfer : clients.unanswered) {
          // Taken effect at most once: the reference appears at most once (counted below for all
          // keys), and a transfer made by a first attempt is the one the retry was answered with.
          String found = books.byReference(transfer.key());
          if (found != null && acked.stream().noneMatch(a -> a.key().equals(transfer.key()) && found.startsWith(a.transferId()))) {
            retryProblems.add(transfer.key() + " in the books as " + found + " but not answered with it");
          }
        }
        report.check(retryProblems.isEmpty(), "each unanswered transfer sent again took effect at most once, and its"
            + " retry was answered with the transfer in the books: %d problems %s", retryProblems.size(),
            retryProblems.subList(0, Math.min(3, retryProblems.size())));
        books.check(report, acked);
        watch.check(report);
        report.check(clients.outcomes().keySet().stream().noneMatch(k -> k.startsWith("500")),
            "no 500 answer during the run: %s", clients.outcomes());
        report.check(node.alive(), "the node process ran through every outage without a restart");
        report.note("## Outages\n\n| # | postgres JVM exited by itself | server down for | server up (recovery) in"
            + " | node ready again after the kill | first 201 after the restart | client answers from the kill to that"
            + " first 201 |\n|---|---|---|---|---|---|---|\n"
            + String.join("\n", outages) + "\n");
      }
    } catch (Throwable failure) {
      report.check(false, "the run completed: %s", failure);
      if (node != null) {
        report.log("node", node.logText());
        report.log("postgres", postgres.logText());
      }
      throw failure;
    } finally {
      if (node != null) {
        node.kill();
      }
      postgres.stop();
      report.write();
    }
    report.assertAllHeld();
  }

  /** One kill -9 of the server and its restart; answers a row of the outage table. */
  private static String outage(int number, ExternalPostgres postgres, NodeProcess node, BankWorkload clients,
      FaultReport report) {
    Map<String, Long> answersBefore = clients.outcomes();
    long killedAt = System.nanoTime();
    boolean exitedByItself = postgres.crash();
    long notReadySeen = awaitStatus(node, false, Duration.ofSeconds(20));
    // The server stays down a moment, as a real crash would, before it is started again.
    NodeProcess.sleep(2_000);
    long restartedAt = System.nanoTime();
    long downMs = (restartedAt - killedAt) / 1_000_000;
    long upMs = postgres.start(BOOT);
    long readyAgain = awaitStatus(node, true, Duration.ofSeconds(90));
    long readyMs = readyAgain < 0 ? -1 : (readyAgain - killedAt) / 1_000_000;
    long firstAckMs = nextAckMs(clients, restartedAt);
    boolean acksAgain = firstAckMs >= 0;
    Map<String, Long> during = answersSince(clients, answersBefore);
    report.did("Outage %d: kill -9 of the postmaster (pid from postmaster.pid); the postgres JVM %s; the server was"
        + " started again on the same data and port %d ms after the kill and accepted connections %d ms later (WAL"
        + " recovery included).", number, exitedByItself ? "exited by itself" : "did NOT exit by itself and was killed",
        downMs, upMs);
    report.check(notReadySeen >= 0, "outage %d: the node's /health/ready went to 503 while the server was down (%d ms"
        + " after the kill)", number, notReadySeen < 0 ? -1 : (notReadySeen - killedAt) / 1_000_000);
    report.check(readyAgain >= 0, "outage %d: the node's /health/ready was 200 again, %d ms after the kill, without a"
        + " restart of the node", number, readyMs);
    report.check(acksAgain, "outage %d: transfers acknowledged again, the first %d ms after the server's restart",
        number, firstAckMs);
    return String.format("| %d | %s | %d ms | %d ms | %s | %s | %s |", number, exitedByItself ? "yes" : "no", downMs,
        upMs, readyAgain < 0 ? "never" : readyMs + " ms", acksAgain ? firstAckMs + " ms" : "none within 90 s", during);
  }

  /** Milliseconds from {@code since} to the next transfer acknowledged, or -1 when none came within 90 s. */
  static long nextAckMs(BankWorkload clients, long since) {
    int acked = clients.acked.size();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (clients.acked.size() == acked && System.nanoTime() < deadline) {
      NodeProcess.sleep(50);
    }
    return clients.acked.size() > acked ? (System.nanoTime() - since) / 1_000_000 : -1;
  }

  /** The clients' answers by kind since {@code before} was taken. */
  static Map<String, Long> answersSince(BankWorkload clients, Map<String, Long> before) {
    Map<String, Long> since = new TreeMap<>(clients.outcomes());
    before.forEach((outcome, count) -> since.merge(outcome, -count, Long::sum));
    since.values().removeIf(count -> count == 0);
    return since;
  }

  /**
   * kill -9 of the postgres JVM alone: its server runs on without it, and a new postgres JVM on
   * the same data must stop that orphan and start the server again by itself.
   */
  private static String orphan(int number, ExternalPostgres postgres, NodeProcess node, BankWorkload clients,
      FaultReport report) {
    Map<String, Long> answersBefore = clients.outcomes();
    long killedAt = System.nanoTime();
    boolean orphaned = postgres.crashJvmOnly();
    NodeProcess.sleep(2_000);
    long restartedAt = System.nanoTime();
    long upMs = postgres.start(BOOT);
    long readyAgain = awaitStatus(node, true, Duration.ofSeconds(90));
    long firstAckMs = nextAckMs(clients, restartedAt);
    boolean acksAgain = firstAckMs >= 0;
    Map<String, Long> during = answersSince(clients, answersBefore);
    report.did("Outage %d: kill -9 of the postgres JVM alone; its server %s; a new postgres JVM on the same data and"
        + " port, started 2 s later, accepted connections %d ms after its start.", number,
        orphaned ? "ran on without it (orphaned)" : "did not run on", upMs);
    report.check(orphaned && postgres.logText().contains("without the process that started it"), "outage %d: the new"
        + " postgres JVM found the orphaned server, stopped it and started the server again on its data", number);
    report.check(readyAgain >= 0 && acksAgain, "outage %d: the node ready and acknowledging transfers again, the first"
        + " 201 %d ms after the new JVM's start", number, firstAckMs);
    return String.format("| %d (the JVM alone) | killed | %d ms | %d ms | %s | %s | %s |", number,
        (restartedAt - killedAt) / 1_000_000, upMs,
        readyAgain < 0 ? "never" : (readyAgain - killedAt) / 1_000_000 + " ms", acksAgain ? firstAckMs + " ms"
            : "none within 90 s", during);
  }

  /** Polls /health/ready until it is (or is not) 200; answers when (System.nanoTime), or -1. */
  static long awaitStatus(NodeProcess node, boolean ready, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if ((node.status("/health/ready") == 200) == ready) {
        return System.nanoTime();
      }
      NodeProcess.sleep(100);
    }
    return -1;
  }

  record Resent(int status, String outcome, String transferId) {
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  /** Sends an unanswered transfer again with its key until it gets an answer that is not "try again". */
  static Resent resend(NodeProcess node, String token, BankWorkload.Unanswered transfer) {
    Resent last = new Resent(-1, "io", null);
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(node.uri("/v1/transfers"))
            .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json").header("Idempotency-Key", transfer.key())
            .POST(HttpRequest.BodyPublishers.ofString(transfer.body().encode())).build(),
            HttpResponse.BodyHandlers.ofString());
        JsonObject body = response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body());
        boolean replayed = response.headers().firstValue("Idempotent-Replayed").map("true"::equals).orElse(false);
        String code = body.getString("code");
        last = new Resent(response.statusCode(), response.statusCode() + (code == null ? "" : " " + code)
            + (replayed ? " replayed" : ""), body.getString("id"));
        if (response.statusCode() != 503 && !"IDEMPOTENCY_IN_FLIGHT".equals(code)) {
          return last;
        }
      } catch (IOException e) {
        last = new Resent(-1, "io", null);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return last;
      }
      NodeProcess.sleep(500);
    }
    return last;
  }
}
