package fincloud.risk;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.node.DatabaseSettings;
import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestSql;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the risk tests: rules, funded accounts, the audit outbox, polling. */
final class RiskFixtures {
  private RiskFixtures() {
  }

  static JsonObject rule(String id, String type) {
    return new JsonObject().put("id", id).put("type", type);
  }

  /** PUT /v1/risk/rules as {@code client}; fails the test unless 200. */
  static JsonObject putRules(TestClient http, String client, JsonObject... rules) {
    HttpResponse<Buffer> response = http.put(client, "/v1/risk/rules",
        new JsonObject().put("rules", new JsonArray(List.of((Object[]) rules))));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  /**
   * PUT the rules plus a probe (a blocklisted account), then wait until {@code instances} risk
   * instances in a row have declined a transfer to the probe, that is, until every instance that
   * the event bus takes turns with has the new set.
   */
  static void putRulesAndAwait(TestClient http, int instances, JsonObject... rules) {
    String probe = account(http, "acme-teller", "USD");
    String sender = http.openAccount("acme-admin", new JsonObject().put("currency", "USD")
        .put("overdraftLimit", 1_000_000)).getString("id");
    List<JsonObject> all = new ArrayList<>(List.of(rules));
    all.add(rule("probe", "BLOCKLIST").put("accountIds", new JsonArray().add(probe)));
    putRules(http, "acme-admin", all.toArray(JsonObject[]::new));
    int[] inARow = {0};
    Eventually.until("every risk instance to have the new rules", Duration.ofSeconds(10), () -> {
      HttpResponse<Buffer> response = http.transfer("acme-teller", sender, probe, 1, "USD");
      inARow[0] = response.bodyAsString().contains("\"probe\"") ? inARow[0] + 1 : 0;
      return inARow[0];
    }, n -> n >= 2 * instances);
    assertThat(inARow[0]).as("every risk instance has the new rules").isGreaterThanOrEqualTo(2 * instances);
  }

  static String account(TestClient http, String client, String currency) {
    return http.openAccount(client, new JsonObject().put("currency", currency)).getString("id");
  }

  /**
   * An acme account holding {@code amount}, paid from a funding account of its own (so that no
   * velocity window of another test's account is touched). Call while no rule refuses the funding.
   */
  static String funded(TestClient http, String currency, long amount) {
    String source = http.openAccount("acme-admin", new JsonObject().put("currency", currency)
        .put("allowNegative", true)).getString("id");
    String target = account(http, "acme-teller", currency);
    HttpResponse<Buffer> funding = http.transfer("acme-admin", source, target, amount, currency);
    assertThat(funding.statusCode()).as(funding.bodyAsString()).isEqualTo(201);
    return target;
  }

  static JsonObject transfer(String debit, String credit, long amount, String currency) {
    return new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit).put("amount", amount)
        .put("currency", currency);
  }

  /** The data of the audit outbox rows with this action, oldest first. */
  static List<JsonObject> outbox(String pgUrl, String action) {
    List<JsonObject> rows = new ArrayList<>();
    try (Connection connection = DatabaseSettings.connect(pgUrl);
        PreparedStatement query = connection.prepareStatement(
            "SELECT tenant, actor, entity_id, success, data::text FROM " + TestSql.AUDIT_FACTS + " AS facts WHERE action = ? ORDER BY id")) {
      query.setString(1, action);
      try (ResultSet result = query.executeQuery()) {
        while (result.next()) {
          rows.add(new JsonObject().put("tenant", result.getString(1)).put("actor", result.getString(2))
              .put("entityId", result.getString(3)).put("success", result.getBoolean(4))
              .put("data", new JsonObject(result.getString(5))));
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return rows;
  }

  /** Runs SQL statements in one transaction. */
  static void sql(String pgUrl, String... statements) {
    try (Connection connection = DatabaseSettings.connect(pgUrl)) {
      connection.setAutoCommit(false);
      try (var statement = connection.createStatement()) {
        for (String sql : statements) {
          statement.execute(sql);
        }
      }
      connection.commit();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

}
