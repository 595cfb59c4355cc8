package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.shared.InvalidSettingException;
import fincloud.testkit.TestClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The configuration is read once, at start-up: the defaults file makes valid settings for every
 * section, and a bad or missing value is refused with a message naming its full key and the value.
 * Plain unit tests: no node, no database.
 */
class SettingsTest {

  private static NodeConfig with(JsonObject overrides) {
    return new NodeConfig(ConfigLoader.defaults().mergeIn(overrides, true));
  }

  private static NodeConfig changed(Consumer<JsonObject> change) {
    JsonObject json = ConfigLoader.defaults();
    change.accept(json);
    return new NodeConfig(json);
  }

  private static JsonObject section(String name, String key, Object value) {
    return new JsonObject().put(name, new JsonObject().put(key, value));
  }

  @Test
  void theDefaultsFileMakesValidSettingsForEverySection() {
    NodeConfig config = new NodeConfig(ConfigLoader.defaults());
    assertThat(config.identity().httpHost()).isEqualTo("127.0.0.1");
    assertThat(config.identity().httpPort()).isEqualTo(8080);
    assertThat(config.identity().dataDir()).isEqualTo(Path.of("./fincloud-data"));
    assertThat(config.identity().clustered()).isFalse();
    assertThat(config.roles()).containsExactlyElementsOf(NodeConfig.ALL_ROLES);
    assertThat(config.pgUrl()).isNull();
    assertThat(config.pgPort()).isZero();
    assertThat(config.requireDurable()).isTrue();
    assertThat(config.database().poolSize()).isEqualTo(16);
    assertThat(config.database().waitQueue()).isEqualTo(4096);
    assertThat(config.ledger().maxGroup()).isEqualTo(500);
    assertThat(config.ledger().maxInFlightGroups()).isEqualTo(2);
    assertThat(config.ledger().maxQueue()).isEqualTo(20_000);
    assertThat(config.ledger().expiryIntervalMs()).isEqualTo(1000);
    assertThat(config.risk().rulesPollMs()).isEqualTo(500);
    assertThat(config.risk().instances()).isEqualTo(1);
    assertThat(config.ledger().instances()).isEqualTo(1);
    assertThat(config.audit().pollMs()).isEqualTo(50);
    assertThat(config.audit().batchSize()).isEqualTo(2000);
    assertThat(config.audit().keyFile()).isEqualTo(Path.of("./fincloud-data", "audit-signing-key.jwk"));
    assertThat(config.audit().signingKey()).isNull();
    assertThat(config.gateway().deadline().ms()).isEqualTo(10_000);
    assertThat(config.gateway().maxInFlight()).isEqualTo(4096);
    assertThat(config.gateway().bodyBudget().nodeBytes()).isEqualTo(128L * 1024 * 1024);
    assertThat(config.gateway().rateLimits().fallback().limit()).isEqualTo(100_000);
    assertThat(config.gateway().tokens().ttlSeconds()).isEqualTo(3600);
    assertThat(config.gateway().jwks()).isNull();
    assertThat(config.gateway().tls()).isNull();
    assertThat(config.gateway().instances()).isNull();
    // demo mode (the embedded database): the four demo clients of the tenants and the platform operator
    assertThat(config.gateway().clients()).hasSize(5);
    assertThat(config.cluster().tls()).isNull();
    assertThat(config.cluster().eventBusPort()).isZero();
  }

  /** One representative bad value of each section, and of the flat keys. */
  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', value = {
      "ledger   | maxGroup          | -3    | ledger.maxGroup must be an integer from 1 to 10000, got -3",
      "ledger   | instances         | 0     | ledger.instances must be an integer from 1 to 256, got 0",
      "risk     | instances         | two   | risk.instances must be an integer from 1 to 256, got \"two\"",
      "database | poolSize          | many  | database.poolSize must be an integer from 1 to 1000, got \"many\"",
      "risk     | rulesPollMs       | 0     | risk.rulesPollMs must be an integer from 1 to 3600000, got 0",
      "audit    | batchSize         | 0     | audit.batchSize must be an integer from 1 to 100000, got 0",
      "gateway  | maxInFlight       | 1.5   | gateway.maxInFlight must be an integer from 1 to 1000000, got 1.5",
      "gateway  | idleTimeoutSeconds| 0     | gateway.idleTimeoutSeconds must be an integer from 1 to 86400, got 0",
  })
  void aBadValueOfASectionIsRefusedNamingItsKey(String name, String key, String value, String message) {
    Object typed = value.matches("-?\\d+") ? (Object) Long.parseLong(value)
        : value.matches("-?\\d+\\.\\d+") ? (Object) Double.parseDouble(value) : value;
    assertThatThrownBy(() -> with(section(name, key, typed)))
        .isInstanceOf(InvalidSettingException.class).hasMessage(message);
  }

  @Test
  void aBadFlatKeyIsRefusedNamingIt() {
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_REQUEST_TIMEOUT_MS", -1)))
        .hasMessage("FINCLOUD_REQUEST_TIMEOUT_MS must be an integer from 1 to 600000, got -1");
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_HTTP_PORT", 70_000)))
        .hasMessage("FINCLOUD_HTTP_PORT must be an integer from 0 to 65535, got 70000");
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_CLUSTER", "maybe")))
        .hasMessage("FINCLOUD_CLUSTER must be true or false, got \"maybe\"");
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_ROLES", "gateway,ledger")))
        .hasMessageStartingWith("FINCLOUD_ROLES must be all, or some of gateway, accounts, payments, risk, audit");
  }

  @Test
  void valuesFromTheEnvironmentMayArriveAsText() {
    NodeConfig config = with(new JsonObject().put("FINCLOUD_HTTP_PORT", "8081").put("FINCLOUD_CLUSTER", "true")
        .put("FINCLOUD_ROLES", "payments, risk"));
    assertThat(config.identity().httpPort()).isEqualTo(8081);
    assertThat(config.identity().clustered()).isTrue();
    assertThat(config.roles()).containsExactly("payments", "risk");
  }

  @Test
  void aMissingKeyIsRefusedNamingIt() {
    assertThatThrownBy(() -> changed(json -> json.getJsonObject("ledger").remove("maxQueue")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessage("ledger.maxQueue is missing: it must be an integer from 1 to 10000000");
    assertThatThrownBy(() -> changed(json -> json.remove("audit")))
        .hasMessage("audit is missing: it must be an object");
  }

  @Test
  void nestedGatewayPartsAreRefusedNamingTheirFullKey() {
    assertThatThrownBy(() -> with(new JsonObject().put("gateway", new JsonObject().put("bodyBudget",
        new JsonObject().put("nodeBytes", 2_000_000).put("clientBytes", 3_000_000)))))
        .hasMessage("gateway.bodyBudget.nodeBytes must be an integer from 3000000 to 1099511627776, got 2000000");
    assertThatThrownBy(() -> with(new JsonObject().put("gateway", new JsonObject().put("rateLimits",
        new JsonObject().put("clients", new JsonObject().put("acme-teller", new JsonObject().put("limit", 5)))))))
        .hasMessage("gateway.rateLimits.clients.acme-teller.periodMs is missing: it must be an integer from 1 to 86400000");
    assertThatThrownBy(() -> with(new JsonObject().put("gateway", new JsonObject().put("tls",
        new JsonObject().put("certPath", "cert.pem")))))
        .hasMessageStartingWith("gateway.tls.keyPath must be the PEM private key of gateway.tls.certPath");
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_JWKS_URL", "http://127.0.0.1:1/jwks")))
        .hasMessageStartingWith("gateway.jwks.issuer must be the iss of the identity provider's tokens");
  }

  @Test
  void anExternalProviderNeedsItsAllowListsAndNoTokenOutlivesTheMaximum() {
    JsonObject provider = new JsonObject().put("FINCLOUD_JWKS_URL", "http://127.0.0.1:1/jwks")
        .put("gateway", section("jwks", "issuer", "https://idp.example.test"));
    assertThatThrownBy(() -> with(provider))
        .hasMessageStartingWith("gateway.jwks.tenants must be a non-empty list: the tenants the identity provider's");
    provider.getJsonObject("gateway").getJsonObject("jwks").put("tenants", new JsonArray().add("acme"));
    assertThatThrownBy(() -> with(provider))
        .hasMessageStartingWith("gateway.jwks.scopes must be a non-empty list: the scopes the identity provider's");
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_TOKEN_TTL_SECONDS", 7200)))
        .hasMessageStartingWith("FINCLOUD_TOKEN_TTL_SECONDS must be at most gateway.jwks.maxLifetimeSeconds (3600)");
  }

  @Test
  void clientsAndTheClusterSectionAreRefusedNamingTheirKey() {
    JsonObject teller = TestClient.configured("acme-teller", "acme", "accounts:read");
    JsonObject auditor = TestClient.configured("acme-auditor", "acme", "audit:read");
    assertThatThrownBy(() -> changed(json -> json.put("clients", new JsonArray().add(teller).add(auditor.copy()))
        .getJsonArray("clients").getJsonObject(1).remove("tenant")))
        .hasMessage("clients[1].tenant is missing: it must be a non-blank text");
    assertThatThrownBy(() -> changed(json -> json.put("clients", new JsonArray().add(teller).add(auditor.copy()))
        .getJsonArray("clients").getJsonObject(1).put("id", "acme-teller")))
        .hasMessage("clients[1].id must be unique among the clients, got \"acme-teller\"");
    assertThatThrownBy(() -> with(new JsonObject().put("cluster", section("eventBusTls", "enabled", "yes"))))
        .hasMessage("cluster.eventBusTls.enabled must be true or false, got \"yes\"");
    assertThatThrownBy(() -> with(new JsonObject().put("cluster", section("eventBusTls", "enabled", true))))
        .hasMessage("cluster.eventBusTls.keyPath is missing: it must be a non-blank text");
  }

  @Test
  void theCallPoliciesAreCheckedAtStartUpToo() {
    assertThatThrownBy(() -> with(new JsonObject().put("gateway", section("breaker", "maxFailures", 0))))
        .hasMessage("gateway.breaker.maxFailures must be an integer from 1 to 1000, got 0");
    assertThatThrownBy(() -> with(new JsonObject().put("risk", section("fallback", "mode", "APPROVE"))))
        .hasMessage("risk.fallback.mode must be one of DECLINE, APPROVE_BELOW, got \"APPROVE\"");
  }

  @Test
  void aMultiHostDatabaseUrlIsTakenAndAMalformedOneRefusedWithoutShowingIt() {
    String pair = "postgresql://fincloud:pw@10.0.0.1:5432,10.0.0.2:5432/fincloud?target_session_attrs=read-write";
    assertThat(with(new JsonObject().put("FINCLOUD_PG_URL", pair).put("FINCLOUD_DEMO", true)).pgUrl()).isEqualTo(pair);
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_PG_URL",
        "postgresql://fincloud:pw@10.0.0.1:5432,10.0.0.2:0/fincloud").put("FINCLOUD_DEMO", true)))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessage("FINCLOUD_PG_URL is not a PostgreSQL URL: the port of 10.0.0.2 must be from 1 to 65535, got '0'");
  }
}
