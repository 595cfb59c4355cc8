package fincloud.cluster;

import fincloud.node.DatabaseSettings;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Blocking HTTP calls to one node's API, and SQL on the cluster's database, for the tests. */
final class Api {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  record Reply(int status, JsonObject body) {
  }

  private Api() {
  }

  /** A token of a demo client (secret: its id + "-secret"). */
  static String token(NodeProcess node, String clientId) {
    String form = "grant_type=client_credentials&client_id=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8)
        + "&client_secret=" + URLEncoder.encode(clientId + "-secret", StandardCharsets.UTF_8);
    Reply reply = call(HttpRequest.newBuilder(node.uri("/oauth/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)));
    if (reply.status() != 200) {
      throw new AssertionError("token for " + clientId + ": " + reply);
    }
    return reply.body().getString("access_token");
  }

  static Reply get(NodeProcess node, String token, String path) {
    return call(HttpRequest.newBuilder(node.uri(path)).header("Authorization", "Bearer " + token).GET());
  }

  static Reply post(NodeProcess node, String token, String path, JsonObject body) {
    return post(node, token, path, body, UUID.randomUUID().toString());
  }

  static Reply post(NodeProcess node, String token, String path, JsonObject body, String idempotencyKey) {
    return call(HttpRequest.newBuilder(node.uri(path)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").header("Idempotency-Key", idempotencyKey)
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  static Reply put(NodeProcess node, String token, String path, JsonObject body) {
    return call(HttpRequest.newBuilder(node.uri(path)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  /** Opens an account; fails the test unless 201. */
  static String openAccount(NodeProcess node, String token, JsonObject request) {
    Reply reply = post(node, token, "/v1/accounts", request);
    if (reply.status() != 201) {
      throw new AssertionError("opening an account: " + reply);
    }
    return reply.body().getString("id");
  }

  /**
   * An IMMEDIATE transfer; fails the test unless 201. A refusal by the risk fallback says "retry
   * later" and is not kept for the key: like a client, this retries it with the same key for a
   * while (a cluster just formed may not yet route to risk on another node).
   */
  static JsonObject transfer(NodeProcess node, String token, String debit, String credit, long amount, String currency) {
    JsonObject body = new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit)
        .put("amount", amount).put("currency", currency);
    String key = UUID.randomUUID().toString();
    Reply reply = post(node, token, "/v1/transfers", body, key);
    for (int retry = 0; retry < 20 && reply.status() == 422 && reply.body().getBoolean("fallback", false); retry++) {
      sleep(500);
      reply = post(node, token, "/v1/transfers", body, key);
    }
    if (reply.status() != 201) {
      throw new AssertionError("transfer: " + reply);
    }
    return reply.body();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Reply call(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** One column of a query's rows, as text. */
  static List<String> column(String pgUrl, String sql) {
    try (Connection connection = DatabaseSettings.connect(pgUrl); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      List<String> values = new ArrayList<>();
      while (rows.next()) {
        values.add(rows.getString(1));
      }
      return values;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static long number(String pgUrl, String sql) {
    return Long.parseLong(column(pgUrl, sql).get(0));
  }
}
