package fincloud.loadtest.opengen;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.HdrHistogram.Histogram;

/**
 * An open-model load: request i is due at {@code start + i / rate} whatever happened to the
 * requests before it, and its latency is measured from that intended time, not from when it
 * actually left. A stalled server therefore shows up in the percentiles as the queue it caused
 * (no coordinated omission), the way wrk2 and Gatling's open injection measure. Everything runs on
 * one event loop: a 1 ms timer sends what is due, responses land on the same thread, so the
 * histogram needs no lock.
 */
final class OpenLoad {
  record Plan(String label, double rate, int seconds, int warmupSeconds, double hotShare, String currency,
      String hgrmFile) {
  }

  private static final long TIMEOUT_MS = 30_000;

  private final Vertx vertx;
  private final Plan plan;
  private final WebClient client;
  private final String token;
  private final List<String> accounts;
  private final String runId = Long.toString(System.nanoTime(), 36);
  private final Histogram latency = new Histogram(3_600_000_000L, 3);
  /** The node's own account of each answer ({@code Server-Timing: total}), to set beside what the client saw. */
  private final Histogram serverTotal = new Histogram(3_600_000_000L, 3);
  private final Map<String, Integer> errors = new TreeMap<>();
  private long start;
  private long measuredFrom;
  private long total;
  private long sent;
  private long completed;
  private long ok;
  private long maxSendLagNanos;

  OpenLoad(Vertx vertx, WebClient client, Path dir, Plan plan) throws IOException {
    this.vertx = vertx;
    this.plan = plan;
    this.client = client;
    this.token = "Bearer " + Files.readString(dir.resolve("token")).trim();
    this.accounts = Files.readAllLines(dir.resolve("accounts.txt")).stream().filter(s -> !s.isBlank()).toList();
    if (accounts.size() < 3) {
      throw new IllegalStateException("need at least 3 accounts in accounts.txt");
    }
  }

  /** One client for all the runs of a generator: its connections and JIT stay warm from run to run. */
  static WebClient client(Vertx vertx, String url, int connections) {
    URI base = URI.create(url);
    return WebClient.create(vertx, new WebClientOptions().setDefaultHost(base.getHost())
            .setDefaultPort(base.getPort()).setKeepAlive(true).setTcpNoDelay(true).setUserAgentEnabled(false),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  void run() throws IOException {
    Promise<Void> finished = Promise.promise();
    Context context = vertx.getOrCreateContext();
    total = Math.round(plan.rate() * (plan.warmupSeconds() + plan.seconds()));
    context.runOnContext(v -> {
      start = System.nanoTime();
      measuredFrom = start + plan.warmupSeconds() * 1_000_000_000L;
      vertx.setPeriodic(1, timer -> {
        sendDue();
        if (sent == total) {
          vertx.cancelTimer(timer);
        }
      });
      long progress = vertx.setPeriodic(1000, tick -> System.err.printf(
          "opengen %s: %.0fs sent=%d answered=%d in_flight=%d ok=%d max_send_lag_ms=%.1f%n", plan.label(),
          (System.nanoTime() - start) / 1e9, sent, completed, sent - completed, ok, maxSendLagNanos / 1e6));
      vertx.setPeriodic(100, watch -> {
        if (sent == total && completed == total) {
          vertx.cancelTimer(watch);
          vertx.cancelTimer(progress);
          finished.complete();
        }
      });
    });
    finished.future().await();
    report();
  }

  private void sendDue() {
    long now = System.nanoTime();
    long due = Math.min(total, (long) ((now - start) / 1e9 * plan.rate()) + 1);
    while (sent < due) {
      long intended = start + (long) (sent / plan.rate() * 1e9);
      if (intended >= measuredFrom) {
        // How late the generator itself sent: large values mean the generator, not the node, lagged.
        maxSendLagNanos = Math.max(maxSendLagNanos, now - intended);
      }
      send(intended, sent++);
    }
  }

  private void send(long intended, long seq) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int debit = random.nextDouble() < plan.hotShare() ? 0 : random.nextInt(accounts.size());
    int credit = random.nextInt(accounts.size() - 1);
    if (credit >= debit) {
      credit++;
    }
    String body = "{\"debitAccountId\":\"" + accounts.get(debit) + "\",\"creditAccountId\":\"" + accounts.get(credit)
        + "\",\"amount\":" + (1 + random.nextInt(100)) + ",\"currency\":\"" + plan.currency() + "\"}";
    client.post("/v1/transfers")
        .putHeader("Authorization", token)
        .putHeader("Content-Type", "application/json")
        .putHeader("Idempotency-Key", "og-" + runId + "-" + seq)
        .timeout(TIMEOUT_MS)
        .sendBuffer(Buffer.buffer(body))
        .onComplete(done -> {
          completed++;
          if (intended < measuredFrom) {
            return;
          }
          if (done.failed()) {
            errors.merge("io:" + done.cause().getClass().getSimpleName(), 1, Integer::sum);
            return;
          }
          HttpResponse<Buffer> response = done.result();
          latency.recordValue(Math.max(1, (System.nanoTime() - intended) / 1000));
          long serverMicros = serverTotalMicros(response.getHeader("Server-Timing"));
          if (serverMicros > 0) {
            serverTotal.recordValue(serverMicros);
          }
          if (response.statusCode() == 201) {
            ok++;
          } else {
            String code = response.statusCode() + (response.bodyAsString().contains("\"code\"")
                ? ":" + response.bodyAsJsonObject().getString("code") : "");
            errors.merge(code, 1, Integer::sum);
          }
        });
  }

  private void report() throws IOException {
    long measured = latency.getTotalCount() + errors.entrySet().stream()
        .filter(e -> e.getKey().startsWith("io:")).mapToLong(Map.Entry::getValue).sum();
    long errorCount = errors.values().stream().mapToLong(Integer::longValue).sum();
    System.out.printf("RUN label=%s rate=%.1f seconds=%d hot_share=%.2f measured=%d ok=%d errors=%d "
            + "ok_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f mean_ms=%.2f "
            + "max_send_lag_ms=%.2f server_p50_ms=%.2f server_p99_ms=%.2f error_kinds=%s%n",
        plan.label(), plan.rate(), plan.seconds(), plan.hotShare(), measured, ok, errorCount,
        ok / (double) plan.seconds(), ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(90)),
        ms(latency.getValueAtPercentile(99)), ms(latency.getValueAtPercentile(99.9)), ms(latency.getMaxValue()),
        latency.getMean() / 1000.0, maxSendLagNanos / 1e6, ms(serverTotal.getValueAtPercentile(50)),
        ms(serverTotal.getValueAtPercentile(99)), errors.isEmpty() ? "none" : errors.toString().replace(' ', '_'));
    if (plan.hgrmFile() != null) {
      try (PrintStream out = new PrintStream(Files.newOutputStream(Path.of(plan.hgrmFile())))) {
        latency.outputPercentileDistribution(out, 1000.0);
      }
    }
  }

  /** The {@code total;dur=} of a Server-Timing header in microseconds, 0 when there is none. */
  static long serverTotalMicros(String header) {
    if (header == null) {
      return 0;
    }
    int at = header.indexOf("total;dur=");
    if (at < 0) {
      return 0;
    }
    int from = at + "total;dur=".length();
    int to = from;
    while (to < header.length() && (Character.isDigit(header.charAt(to)) || header.charAt(to) == '.')) {
      to++;
    }
    return to == from ? 0 : Math.max(1, Math.round(Double.parseDouble(header.substring(from, to)) * 1000));
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }
}
