package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A well-behaved client that keeps transacting while a fault runs: a few threads, each sending one
 * transfer (own Idempotency-Key) after another over kept-alive connections; or, as a newcomer,
 * reading a balance four times a second, each time on a new connection (which a node whose
 * connection or in-flight limits are taken by others would refuse first). Latencies and answers
 * are kept per phase ({@link #phase(String)}), so that a run compares the phases.
 */
final class SteadyClient implements AutoCloseable {
  /** Latencies (ms) and answers of one phase. */
  static final class Phase {
    final List<Double> latencies = new ArrayList<>();
    final Map<String, Long> answers = new TreeMap<>();

    synchronized void add(double ms, String answer) {
      latencies.add(ms);
      answers.merge(answer, 1L, Long::sum);
    }

    synchronized long errors() {
      return answers.entrySet().stream()
          .filter(e -> !List.of("200", "201", "422 INSUFFICIENT_FUNDS").contains(e.getKey()))
          .mapToLong(Map.Entry::getValue).sum();
    }

    synchronized double percentile(double p) {
      if (latencies.isEmpty()) {
        return Double.NaN;
      }
      List<Double> sorted = new ArrayList<>(latencies);
      Collections.sort(sorted);
      return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    synchronized int count() {
      return latencies.size();
    }

    synchronized String row(String name, double seconds) {
      return String.format("| %s | %d | %.1f | %.1f | %.1f | %.1f | %d | %s |", name, count(), count() / seconds,
          percentile(50), percentile(99), percentile(100), errors(), answers);
    }
  }

  static final String TABLE_HEAD = "| phase | requests | per s | p50 ms | p99 ms | max ms | errors | answers |\n"
      + "|---|---|---|---|---|---|---|---|\n";

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final NodeProcess node;
  private final String token;
  private final List<String> accounts;
  private final Map<String, Phase> phases = Collections.synchronizedMap(new LinkedHashMap<>());
  private final List<Thread> threads = new ArrayList<>();
  private volatile Phase current;
  private volatile boolean running = true;
  private final boolean newcomer;

  SteadyClient(NodeProcess node, String token, List<String> accounts, int threadCount, String firstPhase,
      boolean newcomer) {
    this.node = node;
    this.token = token;
    this.accounts = accounts;
    this.newcomer = newcomer;
    phase(firstPhase);
    for (int i = 0; i < threadCount; i++) {
      Thread thread = new Thread(newcomer ? this::arrive : this::run, (newcomer ? "newcomer-" : "steady-client-") + i);
      thread.setDaemon(true);
      thread.start();
      threads.add(thread);
    }
  }

  /** Starts a new phase; answers the phase that ended. */
  Phase phase(String name) {
    Phase ended = current;
    current = phases.computeIfAbsent(name, n -> new Phase());
    return ended;
  }

  Map<String, Phase> phases() {
    synchronized (phases) {
      return new LinkedHashMap<>(phases);
    }
  }

  private void run() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (running) {
      int debit = random.nextInt(accounts.size());
      int credit = (debit + 1 + random.nextInt(accounts.size() - 1)) % accounts.size();
      String key = UUID.randomUUID().toString();
      JsonObject body = new JsonObject().put("debitAccountId", accounts.get(debit))
          .put("creditAccountId", accounts.get(credit)).put("amount", 1 + random.nextInt(20))
          .put("currency", "EUR").put("reference", key);
      Phase phase = current;
      long started = System.nanoTime();
      String answer;
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(node.uri("/v1/transfers"))
            .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json").header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
        String code = response.body().isEmpty() ? null : new JsonObject(response.body()).getString("code");
        answer = response.statusCode() + (code == null ? "" : " " + code);
      } catch (IOException e) {
        answer = "io " + e.getClass().getSimpleName();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        answer = "not json";
      }
      phase.add((System.nanoTime() - started) / 1e6, answer);
    }
  }

  /** A balance read on a connection of its own (Connection: close), four times a second. */
  private void arrive() {
    while (running) {
      Phase phase = current;
      long started = System.nanoTime();
      String answer;
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", node.httpPort), 5_000);
        socket.setSoTimeout(30_000);
        String request = "GET /v1/accounts/" + accounts.get(0) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + token + "\r\nConnection: close\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
            .readLine();
        answer = statusLine == null ? "io closed" : statusLine.split(" ")[1];
      } catch (IOException e) {
        answer = "io " + e.getClass().getSimpleName();
      }
      phase.add((System.nanoTime() - started) / 1e6, answer);
      NodeProcess.sleep(250);
    }
  }

  @Override
  public void close() {
    running = false;
    for (Thread thread : threads) {
      try {
        thread.join(35_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
