package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads {@code GET /v1/ledger/trial-balance} again and again while a fault run goes on, through
 * the gateways alive at the time (in turn), and keeps every answer that breaks the books: a
 * currency whose posted balances do not sum to 0, or whose entries are not twice its posted
 * transfers. A read that gets no 200 (the node died under it) is counted apart: it proves nothing.
 */
final class TrialBalanceWatch implements AutoCloseable {
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final List<NodeProcess> gateways;
  private final String token;
  private final long everyMs;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicLong balanced = new AtomicLong();
  private final AtomicLong unanswered = new AtomicLong();
  private final List<String> broken = new ArrayList<>();
  private volatile String last = "";
  private volatile boolean running = true;
  private final Thread thread;

  /** @param gateways a live list (the run takes dead nodes out of it) */
  TrialBalanceWatch(List<NodeProcess> gateways, String adminToken, long everyMs) {
    this.gateways = gateways;
    this.token = adminToken;
    this.everyMs = everyMs;
    thread = new Thread(this::run, "trial-balance-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (running) {
      read();
      NodeProcess.sleep(everyMs);
    }
  }

  private void read() {
    List<NodeProcess> targets = List.copyOf(gateways);
    if (targets.isEmpty()) {
      return;
    }
    NodeProcess gateway = targets.get(Math.floorMod(next.getAndIncrement(), targets.size()));
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(gateway.uri("/v1/ledger/trial-balance"))
          .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        unanswered.incrementAndGet();
        return;
      }
      JsonObject body = new JsonObject(response.body());
      boolean ok = true;
      for (Object line : body.getJsonArray("currencies")) {
        JsonObject currency = (JsonObject) line;
        long sum = currency.getLong("sumPosted");
        long entries = currency.getLong("entries");
        long posted = currency.getLong("postedTransfers");
        last = currency.getString("currency") + ": sumPosted " + sum + ", " + entries + " entries, " + posted + " posted";
        if (sum != 0 || entries != 2 * posted) {
          ok = false;
          synchronized (broken) {
            broken.add(gateway.name + " " + currency.encode());
          }
        }
      }
      if (ok) {
        balanced.incrementAndGet();
      }
    } catch (IOException | RuntimeException e) {
      unanswered.incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  long balanced() {
    return balanced.get();
  }

  long unanswered() {
    return unanswered.get();
  }

  List<String> broken() {
    synchronized (broken) {
      return List.copyOf(broken);
    }
  }

  String last() {
    return last;
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(15_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Records the watch's outcome in the report. */
  void check(FaultReport report) {
    List<String> wrong = broken();
    report.check(wrong.isEmpty() && balanced() > 0,
        "the trial balance, read %d times during the run (every %d ms, through the live gateways in turn), was zero"
            + " with entries = 2 x postedTransfers every time: %d balanced, %d broken%s (%d reads got no 200: node down)",
        balanced() + wrong.size(), everyMs, balanced(), wrong.size(),
        wrong.isEmpty() ? "" : " e.g. " + wrong.subList(0, Math.min(3, wrong.size())), unanswered());
  }
}
