package fincloud.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;

/** Money for tests of the acme tenant: funding accounts (allowNegative, opened by acme-admin). */
public final class Funds {
  public static final String ADMIN = "acme-admin";

  private Funds() {
  }

  /** A new funding account of acme in {@code currency}: no lower bound. */
  public static String fundingAccount(TestClient http, String currency) {
    return http.openAccount(ADMIN, new JsonObject().put("currency", currency).put("allowNegative", true)
        .put("ownerRef", "funding")).getString("id");
  }

  /** Moves {@code amount} from a new funding account to {@code accountId}; answers the funding account. */
  public static String fund(TestClient http, String accountId, String currency, long amount) {
    String funding = fundingAccount(http, currency);
    HttpResponse<Buffer> response = http.transfer(ADMIN, funding, accountId, amount, currency);
    assertThat(response.statusCode()).as("funding: %s", response.bodyAsString()).isEqualTo(201);
    return funding;
  }

  /** An account of acme opened by {@code clientId} and funded with {@code amount}. */
  public static String fundedAccount(TestClient http, String clientId, String currency, long amount) {
    String id = http.openAccount(clientId, new JsonObject().put("currency", currency)).getString("id");
    if (amount > 0) {
      fund(http, id, currency, amount);
    }
    return id;
  }

  public static long posted(TestClient http, String clientId, String accountId) {
    return balance(http, clientId, accountId).getLong("posted");
  }

  public static JsonObject balance(TestClient http, String clientId, String accountId) {
    HttpResponse<Buffer> response = http.get(clientId, "/v1/accounts/" + accountId);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonObject("balance");
  }
}
