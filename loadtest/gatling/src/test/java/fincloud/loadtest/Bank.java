package fincloud.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The data a simulation needs, made through the public API before the load starts: a token of a
 * client with the admin scope (an allowNegative funding account needs it), a funding account, the
 * load accounts, and one batch transfer per thousand accounts that funds them. Plain JDK HTTP,
 * because this runs in Gatling's before hook, outside any virtual user.
 */
final class Bank {
  /** What each load account starts with: enough that no realistic run drains one. */
  static final long OPENING_BALANCE = 1_000_000_000L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final LoadSettings settings;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private volatile String token;
  private volatile List<String> accountIds = List.of();

  Bank(String baseUrl, LoadSettings settings) {
    this.baseUrl = baseUrl;
    this.settings = settings;
  }

  String token() {
    return token;
  }

  /** The load accounts; the first one is the hot account. */
  List<String> accountIds() {
    return accountIds;
  }

  void open() {
    token = fetchToken();
    String funding = openAccount(true, "loadtest-funding");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < settings.accounts(); i++) {
      ids.add(openAccount(false, "loadtest-" + i));
    }
    for (int from = 0; from < ids.size(); from += 1000) {
      fund(funding, ids.subList(from, Math.min(ids.size(), from + 1000)));
    }
    accountIds = List.copyOf(ids);
    System.out.printf("loadtest: %d accounts opened and funded at %s (hot account %s)%n",
        ids.size(), baseUrl, ids.get(0));
  }

  /** The tenant's trial balance, checked: double entry means sumPosted 0 and two entries per transfer. */
  String checkTrialBalance() {
    JsonNode balance = send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/ledger/trial-balance"))
        .header("Authorization", "Bearer " + token).GET(), 200);
    StringBuilder summary = new StringBuilder();
    for (JsonNode line : balance.path("currencies")) {
      long sumPosted = line.path("sumPosted").asLong();
      long transfers = line.path("postedTransfers").asLong();
      long entries = line.path("entries").asLong();
      summary.append(String.format("%s: sumPosted=%d postedTransfers=%d entries=%d; ",
          line.path("currency").asText(), sumPosted, transfers, entries));
      if (sumPosted != 0 || entries != 2 * transfers) {
        throw new IllegalStateException("the books do not balance: " + summary);
      }
    }
    return summary.toString();
  }

  private String fetchToken() {
    String form = "grant_type=client_credentials&client_id=" + encode(settings.clientId())
        + "&client_secret=" + encode(settings.clientSecret());
    JsonNode answer = send(HttpRequest.newBuilder(URI.create(baseUrl + "/oauth/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)), 200);
    return answer.path("access_token").asText();
  }

  private String openAccount(boolean allowNegative, String ownerRef) {
    ObjectNode body = JSON.createObjectNode().put("currency", settings.currency())
        .put("allowNegative", allowNegative).put("ownerRef", ownerRef);
    return post("/v1/accounts", body, 201).path("id").asText();
  }

  private void fund(String funding, List<String> ids) {
    ArrayNode items = JSON.createArrayNode();
    ids.forEach(id -> items.addObject().put("debitAccountId", funding).put("creditAccountId", id)
        .put("amount", OPENING_BALANCE).put("currency", settings.currency()).put("reference", "loadtest funding"));
    ObjectNode body = JSON.createObjectNode();
    body.set("transfers", items);
    post("/v1/transfers/batch", body, 201);
  }

  private JsonNode post(String path, ObjectNode body, int expected) {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", "loadtest-" + UUID.randomUUID())
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())), expected);
  }

  private JsonNode send(HttpRequest.Builder request, int expected) {
    try {
      HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != expected) {
        throw new IllegalStateException(response.request().method() + " " + response.request().uri()
            + " answered " + response.statusCode() + ": " + response.body());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach " + baseUrl + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
