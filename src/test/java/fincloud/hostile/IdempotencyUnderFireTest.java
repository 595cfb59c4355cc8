package fincloud.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The same request with the same Idempotency-Key 1000 times at once over 50 connections: it takes
 * effect exactly once, and every answer is the first answer again (same status, same body, marked
 * replayed) or 409 IDEMPOTENCY_IN_FLIGHT while the first is still running.
 */
@ExtendWith(NodeExtension.class)
class IdempotencyUnderFireTest {
  static final int REQUESTS = 1000;
  static final int CONNECTIONS = 50;

  static HostileNode node;
  static WebClient web;
  static String token;

  @OwnNode
  static TestNode start() {
    return HostileNode.start();
  }

  @BeforeAll
  static void seed(TestNode testNode, TestClient http) {
    node = HostileNode.seeded(testNode, http);
    web = WebClient.create(node.vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(node.node.port()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(CONNECTIONS));
    token = node.token(HostileNode.ACME_TELLER);
  }

  @AfterAll
  static void stop() {
    web.close();
  }

  @Test
  void oneTransfer() {
    String debit = node.acmeUsd.get(0);
    String credit = node.account(HostileNode.ACME_TELLER, new JsonObject().put("currency", "USD"));
    long debitBefore = posted(debit);
    JsonObject first = fire("/v1/transfers", HostileNode.transfer(debit, credit, 777, "USD"));
    assertThat(first.getString("status")).isEqualTo("POSTED");
    assertThat(node.transfersBetween(debit, credit)).as("transfers made").isEqualTo(1);
    assertThat(posted(credit)).isEqualTo(777);
    assertThat(posted(debit)).isEqualTo(debitBefore - 777);
    node.assertBooksAreWhole();
  }

  @Test
  void oneBatch() {
    String debit = node.acmeUsd.get(1);
    String credit = node.account(HostileNode.ACME_TELLER, new JsonObject().put("currency", "USD"));
    JsonObject first = fire("/v1/transfers/batch", new JsonObject().put("transfers", new JsonArray()
        .add(HostileNode.transfer(debit, credit, 100, "USD"))
        .add(HostileNode.transfer(debit, credit, 20, "USD").put("mode", "PENDING"))));
    assertThat(first.getJsonArray("transfers")).hasSize(2);
    assertThat(node.transfersBetween(debit, credit)).as("transfers made").isEqualTo(2);
    assertThat(posted(credit)).isEqualTo(100);
    assertThat(balance(debit).getLong("pending")).isEqualTo(20 + (debit.equals(node.acmeUsd.get(0)) ? 10 : 0));
    node.assertBooksAreWhole();
  }

  @Test
  void oneAccount() {
    String owner = "owner-" + UUID.randomUUID();
    // ownerRef is stored sealed (privacy): count the accounts, not the owner's rows.
    long before = node.count("SELECT count(*) FROM accounts");
    JsonObject first = fire("/v1/accounts", new JsonObject().put("currency", "EUR").put("ownerRef", owner));
    assertThat(first.getString("ownerRef")).isEqualTo(owner);
    assertThat(node.count("SELECT count(*) FROM accounts") - before).as("accounts opened").isEqualTo(1);
  }

  /**
   * Sends the request {@link #REQUESTS} times with one key at once, checks every answer, and
   * answers the body of the first.
   */
  static JsonObject fire(String path, JsonObject body) {
    String key = "fire-" + UUID.randomUUID();
    Buffer bytes = body.toBuffer();
    long started = System.nanoTime();
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      sent.add(web.post(path).bearerTokenAuthentication(token).putHeader("Idempotency-Key", key)
          .putHeader("Content-Type", "application/json").timeout(60_000).sendBuffer(bytes));
    }
    Future.join(sent).await();
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    Map<String, Integer> outcomes = new TreeMap<>();
    List<String> wrong = new ArrayList<>();
    List<HttpResponse<Buffer>> originals = new ArrayList<>();
    List<HttpResponse<Buffer>> replays = new ArrayList<>();
    for (Future<HttpResponse<Buffer>> future : sent) {
      if (future.failed()) {
        wrong.add("no answer: " + future.cause());
        continue;
      }
      HttpResponse<Buffer> response = future.result();
      boolean replayed = "true".equals(response.getHeader("Idempotent-Replayed"));
      outcomes.merge(response.statusCode() + (replayed ? " replayed" : ""), 1, Integer::sum);
      if (response.statusCode() == 409) {
        JsonObject problem = response.bodyAsJsonObject();
        if (!"IDEMPOTENCY_IN_FLIGHT".equals(problem.getString("code"))
            || !response.getHeader("Content-Type").startsWith("application/problem+json")) {
          wrong.add("a 409 that is not IDEMPOTENCY_IN_FLIGHT: " + response.bodyAsString());
        }
      } else if (replayed) {
        replays.add(response);
      } else {
        originals.add(response);
      }
    }
    System.out.printf("idempotency under fire %s: %d requests, one key, %d connections, %d ms: %s%n",
        path, REQUESTS, CONNECTIONS, tookMs, outcomes);
    assertThat(wrong).isEmpty();
    assertThat(originals).as("answers that were not replays: " + outcomes).hasSize(1);
    HttpResponse<Buffer> first = originals.get(0);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(201);
    for (HttpResponse<Buffer> replay : replays) {
      assertThat(replay.statusCode()).isEqualTo(first.statusCode());
      assertThat(replay.bodyAsJsonObject()).isEqualTo(first.bodyAsJsonObject());
    }
    HttpResponse<Buffer> later = web.post(path).bearerTokenAuthentication(token).putHeader("Idempotency-Key", key)
        .putHeader("Content-Type", "application/json").sendBuffer(bytes).await();
    assertThat(later.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(later.bodyAsJsonObject()).isEqualTo(first.bodyAsJsonObject());
    return first.bodyAsJsonObject();
  }

  static JsonObject balance(String account) {
    return node.http.get(HostileNode.ACME_TELLER, "/v1/accounts/" + account).bodyAsJsonObject().getJsonObject("balance");
  }

  static long posted(String account) {
    return balance(account).getLong("posted");
  }
}
