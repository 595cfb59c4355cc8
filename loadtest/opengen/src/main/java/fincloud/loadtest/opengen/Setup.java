package fincloud.loadtest.opengen;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Makes the benchmark's data through the public API: a token of a client with the admin scope,
 * an allowNegative funding account, the load accounts, and batch transfers that fund them.
 * Blocking calls from the main thread ({@code await} is allowed off the event loop).
 */
final class Setup {
  /** Each load account's opening balance: no benchmark of minutes drains it. */
  static final long OPENING_BALANCE = 1_000_000_000L;

  private final WebClient client;
  private final String url;
  private final Path dir;
  private final String clientId;
  private final String secret;
  private final String currency;

  Setup(Vertx vertx, String url, Path dir, String clientId, String secret, String currency) {
    this.client = WebClient.create(vertx);
    this.url = url;
    this.dir = dir;
    this.clientId = clientId;
    this.secret = secret;
    this.currency = currency;
  }

  void run(int accounts) throws IOException {
    long started = System.nanoTime();
    String token = token();
    String funding = openAccount(token, true, "benchmark-funding");
    List<String> ids = new ArrayList<>();
    for (int from = 0; from < accounts; from += 50) {
      List<Future<String>> opening = new ArrayList<>();
      for (int i = from; i < Math.min(accounts, from + 50); i++) {
        opening.add(openAccountAsync(token, false, "benchmark-" + i));
      }
      Future.all(opening).await();
      opening.forEach(f -> ids.add(f.result()));
    }
    for (int from = 0; from < ids.size(); from += 1000) {
      fund(token, funding, ids.subList(from, Math.min(ids.size(), from + 1000)));
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("token"), token + "\n");
    Files.writeString(dir.resolve("accounts.txt"), String.join("\n", ids) + "\n");
    Files.writeString(dir.resolve("funding.txt"), funding + "\n");
    System.out.printf("SETUP accounts=%d funding=%s hot=%s seconds=%.1f%n", ids.size(), funding, ids.get(0),
        (System.nanoTime() - started) / 1e9);
  }

  /** The trial balance of the tenant: sumPosted 0 and entries = 2 x postedTransfers, per currency. */
  boolean verify() throws IOException {
    String token = Files.readString(dir.resolve("token")).trim();
    HttpResponse<Buffer> answer = client.getAbs(url + "/v1/ledger/trial-balance").bearerTokenAuthentication(token)
        .send().await();
    expect(answer, 200, "trial balance");
    boolean balanced = true;
    StringBuilder line = new StringBuilder();
    for (Object o : answer.bodyAsJsonObject().getJsonArray("currencies")) {
      JsonObject c = (JsonObject) o;
      long sumPosted = c.getLong("sumPosted");
      long transfers = c.getLong("postedTransfers");
      long entries = c.getLong("entries");
      balanced &= sumPosted == 0 && entries == 2 * transfers;
      line.append(String.format(" %s.sumPosted=%d %s.sumPending=%d %s.postedTransfers=%d %s.entries=%d %s.accounts=%d",
          c.getString("currency"), sumPosted, c.getString("currency"), c.getLong("sumPending"),
          c.getString("currency"), transfers, c.getString("currency"), entries,
          c.getString("currency"), c.getLong("accounts")));
    }
    System.out.println("VERIFY balanced=" + balanced + line);
    return balanced;
  }

  private String token() {
    HttpResponse<Buffer> answer = client.postAbs(url + "/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", "client_credentials").add("client_id", clientId).add("client_secret", secret)).await();
    expect(answer, 200, "token");
    return answer.bodyAsJsonObject().getString("access_token");
  }

  private String openAccount(String token, boolean allowNegative, String ownerRef) {
    return openAccountAsync(token, allowNegative, ownerRef).await();
  }

  private Future<String> openAccountAsync(String token, boolean allowNegative, String ownerRef) {
    return post(token, "/v1/accounts", new JsonObject().put("currency", currency)
        .put("allowNegative", allowNegative).put("ownerRef", ownerRef))
        .map(answer -> expect(answer, 201, "open account").bodyAsJsonObject().getString("id"));
  }

  private void fund(String token, String funding, List<String> ids) {
    JsonArray items = new JsonArray();
    ids.forEach(id -> items.add(new JsonObject().put("debitAccountId", funding).put("creditAccountId", id)
        .put("amount", OPENING_BALANCE).put("currency", currency).put("reference", "benchmark funding")));
    expect(post(token, "/v1/transfers/batch", new JsonObject().put("transfers", items)).await(), 201, "funding");
  }

  private Future<HttpResponse<Buffer>> post(String token, String path, JsonObject body) {
    return client.postAbs(url + path).bearerTokenAuthentication(token)
        .putHeader("Idempotency-Key", "setup-" + UUID.randomUUID()).timeout(60_000).sendJsonObject(body);
  }

  private static HttpResponse<Buffer> expect(HttpResponse<Buffer> answer, int status, String what) {
    if (answer.statusCode() != status) {
      throw new IllegalStateException(what + " answered " + answer.statusCode() + ": " + answer.bodyAsString());
    }
    return answer;
  }
}
