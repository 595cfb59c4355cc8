package fincloud.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Transfers between random accounts of one node, each with its own Idempotency-Key, from a Vert.x
 * HTTP client in the test JVM (64 kept-alive connections): a closed loop to find the peak, or an
 * open model (request i is due at start + i / rate whatever became of the others, and its latency
 * counts from then, so that a stall shows as the queue it caused). Answers and latencies are kept
 * per window ({@link #roll()}).
 */
final class OpenLoad implements AutoCloseable {
  /** The answers and latencies (ms) of one window. */
  static final class Window {
    final long startedNanos = System.nanoTime();
    final List<Double> latencies = new ArrayList<>();
    final Map<String, Long> answers = new TreeMap<>();

    synchronized void add(double ms, String answer) {
      latencies.add(ms);
      answers.merge(answer, 1L, Long::sum);
    }

    synchronized long errors() {
      return answers.entrySet().stream().filter(e -> !List.of("201", "422 INSUFFICIENT_FUNDS").contains(e.getKey()))
          .mapToLong(Map.Entry::getValue).sum();
    }

    synchronized long count(String answer) {
      return answers.getOrDefault(answer, 0L);
    }

    synchronized double percentile(double p) {
      if (latencies.isEmpty()) {
        return Double.NaN;
      }
      List<Double> sorted = new ArrayList<>(latencies);
      Collections.sort(sorted);
      return sorted.get(Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }

    synchronized int size() {
      return latencies.size();
    }
  }

  private static final int MAX_OUTSTANDING = 5_000;

  private final Vertx vertx = Vertx.vertx();
  private final HttpClientAgent client;
  private final String token;
  private final List<String> accounts;
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile Window window = new Window();
  private volatile boolean running;
  private long timer = -1;

  OpenLoad(int port, String token, List<String> accounts) {
    this.client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64).setMaxWaitQueueSize(-1));
    this.token = token;
    this.accounts = accounts;
  }

  /** Starts a new window; answers the one that ended. */
  Window roll() {
    Window ended = window;
    window = new Window();
    return ended;
  }

  /** Closed loop with {@code concurrency} requests always out; answers the 201s per second over {@code measureMs} after {@code warmupMs}. */
  double peak(int concurrency, long warmupMs, long measureMs) {
    running = true;
    for (int i = 0; i < concurrency; i++) {
      vertx.runOnContext(v -> loop());
    }
    NodeProcess.sleep(warmupMs);
    roll();
    NodeProcess.sleep(measureMs);
    Window measured = roll();
    running = false;
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      NodeProcess.sleep(50);
    }
    return measured.count("201") * 1000.0 / measureMs;
  }

  private void loop() {
    if (running) {
      send(System.nanoTime()).onComplete(done -> loop());
    }
  }

  /** Open model at {@code rate} transfers a second until {@link #stop()}. */
  void start(double rate) {
    running = true;
    long start = System.nanoTime();
    long[] sent = {0};
    timer = vertx.setPeriodic(5, tick -> {
      long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
      while (sent[0] < due) {
        long intended = start + (long) (sent[0] * 1e9 / rate);
        sent[0]++;
        if (outstanding.get() >= MAX_OUTSTANDING) {
          window.add((System.nanoTime() - intended) / 1e6, "client overflow");
        } else {
          send(intended);
        }
      }
    });
  }

  /** Stops sending and waits (30 s at most) for the answers still out. */
  void stop() {
    running = false;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      NodeProcess.sleep(50);
    }
  }

  private Future<Void> send(long intendedNanos) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int debit = random.nextInt(accounts.size());
    int credit = (debit + 1 + random.nextInt(accounts.size() - 1)) % accounts.size();
    String key = UUID.randomUUID().toString();
    Buffer body = new JsonObject().put("debitAccountId", accounts.get(debit)).put("creditAccountId", accounts.get(credit))
        .put("amount", 1 + random.nextInt(100)).put("currency", "EUR").put("reference", key).toBuffer();
    Window current = window;
    outstanding.incrementAndGet();
    return client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/transfers").setIdleTimeout(30_000)
            .putHeader("Authorization", "Bearer " + token).putHeader("Content-Type", "application/json")
            .putHeader("Idempotency-Key", key))
        .compose(request -> request.send(body))
        .compose(response -> response.body().map(answer -> {
          String code = response.statusCode() == 201 ? null : codeOf(answer);
          return response.statusCode() + (code == null ? "" : " " + code);
        }))
        .otherwise(failure -> "io " + failure.getClass().getSimpleName())
        .map(answer -> {
          outstanding.decrementAndGet();
          current.add((System.nanoTime() - intendedNanos) / 1e6, answer);
          return null;
        });
  }

  private static String codeOf(Buffer body) {
    try {
      return new JsonObject(body).getString("code");
    } catch (RuntimeException notJson) {
      return "not json";
    }
  }

  @Override
  public void close() {
    running = false;
    client.close().await();
    vertx.close().await();
  }
}
