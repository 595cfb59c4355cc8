package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bank's clients: threads moving money between the accounts through every gateway in turn,
 * each transfer with its own Idempotency-Key (also its {@code reference}, so that SQL can count
 * how often each took effect), and reading balances in between. A client whose answer says "try
 * again" (503, 409 IDEMPOTENCY_IN_FLIGHT, a risk fallback refusal, or a gateway that went away
 * mid-request) tries again with the same key on the next gateway, as docs/contract.md (Idempotency) tells clients to;
 * a read that went unanswered is asked again of the next gateway too. Every answer is counted by
 * status and code, and apart from those, the final answer of each operation (what its user is left
 * with once the retries are over); every acknowledged transfer is kept.
 */
final class BankWorkload implements AutoCloseable {
  record Acked(String key, String transferId) {
  }

  /** A transfer whose every attempt was told to try again or went unanswered: it may or may not have taken effect. */
  record Unanswered(String key, JsonObject body) {
  }

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  final List<NodeProcess> gateways = new CopyOnWriteArrayList<>();
  private final String token;
  private final List<String> accounts;
  private final String currency;
  private final AtomicInteger nextGateway = new AtomicInteger();
  private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> finals = new ConcurrentHashMap<>();
  final ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<Unanswered> unanswered = new ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  BankWorkload(List<NodeProcess> gateways, String token, List<String> accounts, String currency) {
    this.gateways.addAll(gateways);
    this.token = token;
    this.accounts = accounts;
    this.currency = currency;
  }

  void start(int clients) {
    running = true;
    for (int i = 0; i < clients; i++) {
      Thread thread = new Thread(this::run, "bank-client-" + i);
      thread.setDaemon(true);
      thread.start();
      threads.add(thread);
    }
  }

  @Override
  public void close() {
    running = false;
    for (Thread thread : threads) {
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    threads.clear();
  }

  /** Answers counted so far, e.g. {@code "201"}, {@code "503 UNAVAILABLE"}, {@code "io"}. */
  Map<String, Long> outcomes() {
    Map<String, Long> copy = new TreeMap<>();
    outcomes.forEach((outcome, count) -> copy.put(outcome, count.get()));
    return copy;
  }

  /**
   * The final answer of each read and transfer once its retries are over, counted by kind; an
   * operation still told to try again after its last try counts as {@code "unanswered (<last answer>)"}.
   */
  Map<String, Long> finalAnswers() {
    Map<String, Long> copy = new TreeMap<>();
    finals.forEach((outcome, count) -> copy.put(outcome, count.get()));
    return copy;
  }

  /** The final answers a user would call an error: anything but 200, 201 and a refusal for lack of funds. */
  Map<String, Long> finalErrors() {
    Map<String, Long> errors = finalAnswers();
    errors.keySet().removeAll(List.of("200", "201", "422 INSUFFICIENT_FUNDS"));
    return errors;
  }

  void resetOutcomes() {
    outcomes.clear();
  }

  long count(String outcome) {
    AtomicLong count = outcomes.get(outcome);
    return count == null ? 0 : count.get();
  }

  /** The answers a user would call an error: anything but 200, 201 and a refusal for lack of funds. */
  Map<String, Long> errors() {
    Map<String, Long> errors = outcomes();
    errors.keySet().removeAll(List.of("200", "201", "422 INSUFFICIENT_FUNDS"));
    return errors;
  }

  private void run() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (running) {
      if (random.nextInt(5) == 0) {
        String account = accounts.get(random.nextInt(accounts.size()));
        Answer answer = send("GET", "/v1/accounts/" + account, null, null);
        // A read is safe to ask again: a client whose gateway went away asks the next one.
        for (int attempt = 1; attempt < 20 && answer.tryAgain(); attempt++) {
          NodeProcess.sleep(100);
          answer = send("GET", "/v1/accounts/" + account, null, null);
        }
        count(finals, answer.tryAgain() ? "unanswered (" + answer.outcome() + ")" : answer.outcome());
        continue;
      }
      int debit = random.nextInt(accounts.size());
      int credit = (debit + 1 + random.nextInt(accounts.size() - 1)) % accounts.size();
      String key = UUID.randomUUID().toString();
      JsonObject body = new JsonObject().put("debitAccountId", accounts.get(debit))
          .put("creditAccountId", accounts.get(credit)).put("amount", 1 + random.nextInt(50))
          .put("currency", currency).put("reference", key);
      Answer answer = null;
      for (int attempt = 0; attempt < 20 && (answer == null || answer.tryAgain()); attempt++) {
        if (answer != null) {
          NodeProcess.sleep(100);
        }
        answer = send("POST", "/v1/transfers", body, key);
        if (answer.status == 201) {
          acked.add(new Acked(key, answer.body.getString("id")));
        }
      }
      if (answer.tryAgain()) {
        unanswered.add(new Unanswered(key, body));
        count(finals, "unanswered (" + answer.outcome() + ")");
      } else {
        count(finals, answer.outcome());
      }
    }
  }

  private record Answer(int status, String code, JsonObject body) {
    boolean tryAgain() {
      return status < 0 || status == 503 || "IDEMPOTENCY_IN_FLIGHT".equals(code)
          || ("RISK_DECLINED".equals(code) && body.toString().contains("FALLBACK"));
    }

    /** {@code "201"}, {@code "503 UNAVAILABLE"}, {@code "io"}, ... */
    String outcome() {
      return status < 0 ? (status == -1 ? "io" : "not json") : code == null ? Integer.toString(status) : status + " " + code;
    }
  }

  private static void count(Map<String, AtomicLong> counts, String outcome) {
    counts.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
  }

  private Answer send(String method, String path, JsonObject body, String key) {
    List<NodeProcess> targets = gateways;
    NodeProcess gateway = targets.get(Math.floorMod(nextGateway.getAndIncrement(), targets.size()));
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort + path))
        .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token);
    if (body == null) {
      request.GET();
    } else {
      request.header("Content-Type", "application/json").header("Idempotency-Key", key)
          .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    }
    Answer answer;
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      JsonObject json = response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body());
      answer = new Answer(response.statusCode(), json.getString("code"), json);
    } catch (IOException e) {
      answer = new Answer(-1, null, new JsonObject());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      answer = new Answer(-1, null, new JsonObject());
    } catch (RuntimeException notJson) {
      answer = new Answer(-2, null, new JsonObject());
    }
    count(outcomes, answer.outcome());
    return answer;
  }
}
