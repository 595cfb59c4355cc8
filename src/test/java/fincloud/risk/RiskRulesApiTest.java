package fincloud.risk;

import static fincloud.risk.RiskFixtures.outbox;
import static fincloud.risk.RiskFixtures.putRules;
import static fincloud.risk.RiskFixtures.rule;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.gateway.SecretHash;
import fincloud.node.ConfigLoader;
import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** GET/PUT /v1/risk/rules: versions, audit, validation, tenants, and how a new set reaches a node. */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class RiskRulesApiTest {
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx vertx) {
    // a risk:admin client for the second tenant, which the demo configuration does not have
    JsonArray clients = ConfigLoader.load(vertx, null).await().getJsonArray("clients").copy()
        .add(new JsonObject().put("id", "globex-admin").put("tenant", "globex")
            .put("scopes", "accounts:read accounts:write transfers:read transfers:write risk:admin admin")
            .put("secretHash", SecretHash.hash("globex-admin" + TestClient.SECRET_SUFFIX)));
    return TestNode.start(vertx, new JsonObject().put("clients", clients));
  }

  @Test
  void eachPutMakesANewVersionThatIsKeptAndAudited() {
    JsonObject before = http.get("globex-admin", "/v1/risk/rules").bodyAsJsonObject();
    assertThat(before).isEqualTo(new JsonObject().put("version", 0).put("rules", new JsonArray()));

    JsonObject first = putRules(http, "globex-admin", rule("max-usd", "MAX_AMOUNT").put("currency", "USD")
        .put("max", 1000));
    assertThat(first.getLong("version")).isEqualTo(1);
    assertThat(first.getJsonArray("rules").getJsonObject(0).getString("action")).isEqualTo("DECLINE");
    assertThat(http.get("globex-admin", "/v1/risk/rules").bodyAsJsonObject()).isEqualTo(first);

    JsonObject second = putRules(http, "globex-admin");
    assertThat(second).isEqualTo(new JsonObject().put("version", 2).put("rules", new JsonArray()));
    assertThat(http.get("globex-admin", "/v1/risk/rules").bodyAsJsonObject()).isEqualTo(second);

    List<JsonObject> changes = outbox(node.pgUrl(), "RISK_RULES_CHANGED").stream()
        .filter(row -> row.getString("tenant").equals("globex")).toList();
    assertThat(changes).hasSize(2);
    assertThat(changes.get(0).getString("actor")).isEqualTo("globex-admin");
    assertThat(changes.get(0).getJsonObject("data").getLong("oldVersion")).isZero();
    assertThat(changes.get(0).getJsonObject("data").getLong("newVersion")).isEqualTo(1);
    assertThat(changes.get(1).getJsonObject("data").getLong("oldVersion")).isEqualTo(1);
    assertThat(changes.get(1).getJsonObject("data").getLong("newVersion")).isEqualTo(2);

    // every version is kept
    assertThat(storedVersions("globex")).containsExactly(1L, 2L);
  }

  @Test
  void onlyRiskAdminsMayReadOrChangeRules() {
    assertThat(http.get("acme-teller", "/v1/risk/rules").statusCode()).isEqualTo(403);
    HttpResponse<Buffer> put = http.put("acme-teller", "/v1/risk/rules", new JsonObject().put("rules", new JsonArray()));
    assertThat(put.statusCode()).isEqualTo(403);
    assertThat(put.bodyAsJsonObject().getString("code")).isEqualTo("FORBIDDEN");
  }

  @Test
  void aBadRuleIsRefusedNamingItAndChangesNothing() {
    long version = http.get("acme-admin", "/v1/risk/rules").bodyAsJsonObject().getLong("version");
    HttpResponse<Buffer> missing = http.put("acme-admin", "/v1/risk/rules", new JsonObject().put("rules",
        new JsonArray().add(rule("ok", "MAX_AMOUNT").put("currency", "USD").put("max", 5))
            .add(rule("burst", "VELOCITY_COUNT").put("max", 3))));
    assertThat(missing.statusCode()).isEqualTo(400);
    JsonObject problem = missing.bodyAsJsonObject();
    assertThat(problem.getString("code")).isEqualTo("VALIDATION_FAILED");
    assertThat(problem.getInteger("index")).isEqualTo(1);
    assertThat(problem.getString("ruleId")).isEqualTo("burst");
    assertThat(problem.getString("field")).isEqualTo("windowSeconds");

    HttpResponse<Buffer> foreignField = http.put("acme-admin", "/v1/risk/rules", new JsonObject().put("rules",
        new JsonArray().add(rule("list", "BLOCKLIST").put("accountIds", new JsonArray().add("acc_1"))
            .put("max", 3))));
    assertThat(foreignField.statusCode()).isEqualTo(400);
    assertThat(foreignField.bodyAsJsonObject().getString("field")).isEqualTo("max");

    // what the request schema itself refuses names the rule by its path
    HttpResponse<Buffer> negative = http.put("acme-admin", "/v1/risk/rules", new JsonObject().put("rules",
        new JsonArray().add(rule("neg", "MAX_AMOUNT").put("currency", "USD").put("max", -1))));
    assertThat(negative.statusCode()).isEqualTo(400);
    assertThat(negative.bodyAsJsonObject().getString("field")).isEqualTo("rules/0/max");

    assertThat(http.get("acme-admin", "/v1/risk/rules").bodyAsJsonObject().getLong("version")).isEqualTo(version);
  }

  @Test
  void oneTenantsRulesNeverTouchAnother() {
    putRules(http, "acme-admin", rule("tiny", "MAX_AMOUNT").put("currency", "USD").put("max", 100));
    String acmeSource = RiskFixtures.account(http, "acme-teller", "USD");
    String acmeTarget = RiskFixtures.account(http, "acme-teller", "USD");
    HttpResponse<Buffer> acme = http.transfer("acme-teller", acmeSource, acmeTarget, 1000, "USD");
    assertThat(acme.statusCode()).isEqualTo(422);
    assertThat(acme.bodyAsJsonObject().getString("code")).isEqualTo("RISK_DECLINED");

    String globexSource = http.openAccount("globex-admin", new JsonObject().put("currency", "USD")
        .put("overdraftLimit", 10_000)).getString("id");
    String globexTarget = RiskFixtures.account(http, "globex-teller", "USD");
    HttpResponse<Buffer> globex = http.transfer("globex-teller", globexSource, globexTarget, 1000, "USD");
    assertThat(globex.statusCode()).as(globex.bodyAsString()).isEqualTo(201);
    assertThat(globex.bodyAsJsonObject().getJsonObject("risk").getString("decision")).isEqualTo("APPROVE");

    assertThat(http.get("globex-admin", "/v1/risk/rules").bodyAsJsonObject().getJsonArray("rules").encode())
        .doesNotContain("tiny");
    putRules(http, "acme-admin");
  }

  /**
   * A set written by another node whose change message was lost reaches this node through the
   * periodic version check: here the new version is written straight into the database.
   */
  @Test
  void aNewSetReachesTheNodeWithoutAMessage() {
    JsonObject current = putRules(http, "acme-admin");
    String source = http.openAccount("acme-admin", new JsonObject().put("currency", "USD")
        .put("overdraftLimit", 1000)).getString("id");
    String target = RiskFixtures.account(http, "acme-teller", "USD");
    long next = current.getLong("version") + 1;
    String rules = new JsonArray().add(rule("from-elsewhere", "BLOCKLIST").put("action", "DECLINE")
        .put("accountIds", new JsonArray().add(source))).encode();
    RiskFixtures.sql(node.pgUrl(),
        "INSERT INTO risk_rule_sets (tenant, version, rules, changed_by) VALUES ('acme', " + next + ", '"
            + rules + "', 'another-node')",
        "UPDATE risk_rule_heads SET version = " + next + " WHERE tenant = 'acme'");

    HttpResponse<Buffer> refused = Eventually.until("the new rules in force", Duration.ofSeconds(10),
        () -> http.transfer("acme-teller", source, target, 1, "USD"),
        r -> "RISK_DECLINED".equals(r.bodyAsJsonObject().getString("code")));
    assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(422);
    assertThat(refused.bodyAsJsonObject().getJsonArray("reasons").getJsonObject(0).getString("ruleId"))
        .isEqualTo("from-elsewhere");
    putRules(http, "acme-admin");
  }

  private static List<Long> storedVersions(String tenant) {
    List<Long> versions = new java.util.ArrayList<>();
    try (var connection = fincloud.node.DatabaseSettings.connect(node.pgUrl());
        var query = connection.prepareStatement("SELECT version FROM risk_rule_sets WHERE tenant = ? ORDER BY version")) {
      query.setString(1, tenant);
      try (var result = query.executeQuery()) {
        while (result.next()) {
          versions.add(result.getLong(1));
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return versions;
  }
}
