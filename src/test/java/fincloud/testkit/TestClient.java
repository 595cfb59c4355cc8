package fincloud.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A blocking HTTP client for tests, speaking to one node over real HTTP on loopback. Tokens of
 * the demo clients are fetched once and reused. Call from the test thread, never an event loop.
 */
public final class TestClient {
  public static final String SECRET_SUFFIX = "-secret";

  private final WebClient web;
  private final Map<String, String> tokens = new HashMap<>();

  TestClient(Vertx vertx, int port) {
    web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(true));
  }

  /** A {@code clients} entry of the configuration whose secret is its id followed by "-secret". */
  public static JsonObject configured(String id, String tenant, String scopes) {
    return new JsonObject().put("id", id).put("tenant", tenant).put("scopes", scopes)
        .put("secretHash", fincloud.gateway.SecretHash.hash(id + SECRET_SUFFIX));
  }

  public WebClient web() {
    return web;
  }

  /** A token of a demo client (its secret is its id followed by "-secret"). */
  public synchronized String token(String clientId) {
    return tokens.computeIfAbsent(clientId, id -> web.post("/oauth/token")
        .sendForm(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("grant_type", "client_credentials")
            .add("client_id", id).add("client_secret", id + SECRET_SUFFIX))
        .await().bodyAsJsonObject().getString("access_token"));
  }

  public HttpResponse<Buffer> get(String clientId, String path) {
    return authorized(web.get(path), clientId).send().await();
  }

  public HttpResponse<Buffer> post(String clientId, String path, JsonObject body) {
    return post(clientId, path, body, null);
  }

  /** POST with an Idempotency-Key (null for none). */
  public HttpResponse<Buffer> post(String clientId, String path, JsonObject body, String idempotencyKey) {
    HttpRequest<Buffer> request = authorized(web.post(path), clientId);
    if (idempotencyKey != null) {
      request.putHeader("Idempotency-Key", idempotencyKey);
    }
    return body == null ? request.send().await() : request.sendJsonObject(body).await();
  }

  public HttpResponse<Buffer> put(String clientId, String path, JsonObject body) {
    return authorized(web.put(path), clientId).sendJsonObject(body).await();
  }

  /** Opens an account and answers its JSON; fails the test on any other answer than 201. */
  public JsonObject openAccount(String clientId, JsonObject request) {
    HttpResponse<Buffer> response = post(clientId, "/v1/accounts", request);
    if (response.statusCode() != 201) {
      throw new AssertionError("opening an account answered " + response.statusCode() + ": " + response.bodyAsString());
    }
    return response.bodyAsJsonObject();
  }

  /** POST /v1/transfers with a fresh Idempotency-Key. */
  public HttpResponse<Buffer> transfer(String clientId, String debit, String credit, long amount, String currency) {
    return post(clientId, "/v1/transfers", new JsonObject().put("debitAccountId", debit)
        .put("creditAccountId", credit).put("amount", amount).put("currency", currency), UUID.randomUUID().toString());
  }

  private HttpRequest<Buffer> authorized(HttpRequest<Buffer> request, String clientId) {
    return clientId == null ? request : request.bearerTokenAuthentication(token(clientId));
  }

  public void close() {
    web.close();
  }
}
