package fincloud.payments;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.node.DatabaseSettings;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestSql;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/**
 * What the payments tests do and check again and again, over the public API (acme tenant): open
 * and fund accounts, make holds, settle them, read balances; plus a few counts straight from the
 * database, for what the API does not show (rows that must not exist, outbox rows).
 */
final class LedgerFixture {
  static final String TELLER = "acme-teller";
  static final String ADMIN = "acme-admin";

  private final TestClient http;
  private final String pgUrl;
  private final java.util.Map<String, String> funding = new java.util.HashMap<>();

  LedgerFixture(TestClient http, String pgUrl) {
    this.http = http;
    this.pgUrl = pgUrl;
  }

  TestClient http() {
    return http;
  }

  /** A new ACTIVE account of the acme tenant. */
  String open(String currency) {
    return open(new JsonObject().put("currency", currency));
  }

  /** Opened by the teller; an account with credit (overdraftLimit above 0) by the admin, who alone may grant it. */
  String open(JsonObject request) {
    String opener = request.getLong("overdraftLimit", 0L) > 0 ? ADMIN : TELLER;
    return http.openAccount(opener, request).getString("id");
  }

  /** A new account holding {@code amount}, paid in from the currency's funding account. */
  String funded(String currency, long amount) {
    String account = open(currency);
    if (amount > 0) {
      created(http.transfer(TELLER, funding(currency), account, amount, currency));
    }
    return account;
  }

  /** The currency's allowNegative account, where money comes from (opened once). */
  synchronized String funding(String currency) {
    return funding.computeIfAbsent(currency, c -> http.openAccount(ADMIN,
        new JsonObject().put("currency", c).put("allowNegative", true)).getString("id"));
  }

  static JsonObject transferRequest(String debit, String credit, long amount, String currency) {
    return new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit)
        .put("amount", amount).put("currency", currency);
  }

  static JsonObject holdRequest(String debit, String credit, long amount, String currency, Integer expiresInSeconds) {
    JsonObject request = transferRequest(debit, credit, amount, currency).put("mode", "PENDING");
    return expiresInSeconds == null ? request : request.put("expiresInSeconds", expiresInSeconds);
  }

  HttpResponse<Buffer> transfer(JsonObject request) {
    return http.post(TELLER, "/v1/transfers", request, key());
  }

  /** A hold made through POST /v1/transfers (must answer 201 PENDING); its JSON. */
  JsonObject hold(String debit, String credit, long amount, String currency) {
    return hold(debit, credit, amount, currency, null);
  }

  JsonObject hold(String debit, String credit, long amount, String currency, Integer expiresInSeconds) {
    JsonObject hold = created(transfer(holdRequest(debit, credit, amount, currency, expiresInSeconds)));
    assertThat(hold.getString("status")).isEqualTo("PENDING");
    return hold;
  }

  /** POST /v1/transfers/{id}/post; a null body sends no body at all. */
  HttpResponse<Buffer> post(String transferId, JsonObject body, String key) {
    return http.post(TELLER, "/v1/transfers/" + transferId + "/post", body, key);
  }

  HttpResponse<Buffer> voidHold(String transferId, String key) {
    return http.post(TELLER, "/v1/transfers/" + transferId + "/void", null, key);
  }

  HttpResponse<Buffer> batch(JsonArray items, String key) {
    return http.post(TELLER, "/v1/transfers/batch", new JsonObject().put("transfers", items), key);
  }

  JsonObject transferById(String id) {
    HttpResponse<Buffer> response = http.get(TELLER, "/v1/transfers/" + id);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  JsonObject balance(String accountId) {
    HttpResponse<Buffer> response = http.get(TELLER, "/v1/accounts/" + accountId);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonObject("balance");
  }

  /** Asserts posted and pending of an account (available must be their difference). */
  void assertBalance(String accountId, long posted, long pending) {
    assertThat(balance(accountId)).as("balance of " + accountId)
        .isEqualTo(new JsonObject().put("posted", posted).put("pending", pending).put("available", posted - pending));
  }

  /** The trial-balance line of one currency. */
  JsonObject trialBalance(String currency) {
    HttpResponse<Buffer> response = http.get("acme-auditor", "/v1/ledger/trial-balance");
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonArray("currencies").stream().map(JsonObject.class::cast)
        .filter(line -> line.getString("currency").equals(currency)).findFirst().orElseThrow();
  }

  /** One number from the database (a count, a sum). */
  long count(String sql, Object... parameters) {
    try (Connection connection = DatabaseSettings.connect(pgUrl);
        PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Transfer rows (any status) touching one of the accounts. */
  long transferRows(List<String> accounts) {
    return count("SELECT count(*) FROM transfers WHERE debit_account_id = ANY(?) OR credit_account_id = ANY(?)",
        accounts.toArray(String[]::new), accounts.toArray(String[]::new));
  }

  long entryRows(List<String> accounts) {
    return count("SELECT count(*) FROM entries WHERE account_id = ANY(?)", (Object) accounts.toArray(String[]::new));
  }

  long outboxRows(String action, String entityId) {
    return count("SELECT count(*) FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE action = ? AND entity_id = ?", action, entityId);
  }

  static String key() {
    return UUID.randomUUID().toString();
  }

  /** Asserts a 201 and answers its body. */
  static JsonObject created(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  static JsonObject ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  /** Asserts a problem answer with this status and code; answers its body. */
  static JsonObject problem(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getString("code")).isEqualTo(code);
    return body;
  }

}
