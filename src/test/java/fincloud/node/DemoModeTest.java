package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The demo clients (published secrets) exist only in demo mode: FINCLOUD_DEMO, or, unset, with the
 * embedded database. A node outside demo mode with nobody to call it refuses to start, naming the
 * key; client ids of reserved tenants (starting with _) other than the platform operator's are refused.
 */
@ExtendWith(VertxExtension.class)
class DemoModeTest {
  private static final String REAL_DATABASE = "postgresql://fincloud:pw@db.example:5432/fincloud";

  private static NodeConfig with(JsonObject overrides) {
    return new NodeConfig(ConfigLoader.defaults().mergeIn(overrides, true));
  }

  private static JsonObject clients(JsonObject... clients) {
    return new JsonObject().put("clients", new JsonArray(java.util.List.of((Object[]) clients)));
  }

  @Test
  void demoModeIsOnWithTheEmbeddedDatabaseAndOffWithARealOneUnlessAskedFor() {
    assertThat(with(new JsonObject()).demo()).isTrue();
    assertThat(with(new JsonObject()).gateway().clients()).hasSize(5);
    assertThat(with(new JsonObject().put("FINCLOUD_DEMO", "true").put("FINCLOUD_PG_URL", REAL_DATABASE)).demo()).isTrue();
    JsonObject own = clients(TestClient.configured("bank-teller", "bank", "accounts:read"));
    NodeConfig production = with(own.copy().put("FINCLOUD_PG_URL", REAL_DATABASE));
    assertThat(production.demo()).isFalse();
    assertThat(production.gateway().clients()).hasSize(1);
    assertThat(with(own.copy().put("FINCLOUD_DEMO", false)).gateway().clients()).hasSize(1);
  }

  @Test
  void aNodeWithNoClientsOutsideDemoModeRefusesToStartNamingTheKey() {
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_PG_URL", REAL_DATABASE)))
        .hasMessageStartingWith("clients must be at least one client").hasMessageContaining("FINCLOUD_DEMO=true");
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_DEMO", "false")))
        .hasMessageStartingWith("clients must be at least one client");
    assertThatThrownBy(() -> with(new JsonObject().put("FINCLOUD_DEMO", "maybe")))
        .hasMessage("FINCLOUD_DEMO must be true or false, got \"maybe\"");
    // A node without the gateway role takes no token requests: it needs no clients.
    assertThat(with(new JsonObject().put("FINCLOUD_PG_URL", REAL_DATABASE).put("FINCLOUD_ROLES", "payments"))
        .gateway().clients()).isEmpty();
  }

  @Test
  void reservedTenantsAndPlaceholderSecretsAreRefused() {
    assertThatThrownBy(() -> with(clients(TestClient.configured("x", "_system", "audit:read"))))
        .hasMessageStartingWith("clients[0].tenant must be tenant ids starting with _ are reserved");
    assertThatThrownBy(() -> with(clients(TestClient.configured("x", "_platform", "operator admin"))))
        .hasMessageStartingWith("clients[0].tenant must be a client of the platform tenant _platform has the scope operator and no other");
    assertThatThrownBy(() -> with(clients(TestClient.configured("x", "acme", "operator"))))
        .hasMessageStartingWith("clients[0].tenant must be the scope operator belongs to clients of the tenant _platform");
    assertThatThrownBy(() -> with(clients(TestClient.configured("x", "acme", "admin").put("secretHash", "<fill me>"))))
        .hasMessageStartingWith("clients[0].secretHash must be the stored form printed by");
    assertThat(with(clients(TestClient.configured("ops", "_platform", "operator"))).gateway().clients()).hasSize(6);
  }

  @Test
  void outsideDemoModeThePublishedSecretsGetNoToken(Vertx vertx) {
    TestNode node = TestNode.start(vertx, clients(TestClient.configured("bank-admin", "bank", "accounts:read admin"))
        .put("FINCLOUD_DEMO", false));
    TestClient http = node.client();
    try {
      for (String demo : new String[] {"acme-admin", "acme-teller", "globex-teller", "platform-operator"}) {
        int status = http.web().post("/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap()
            .add("grant_type", "client_credentials").add("client_id", demo).add("client_secret", demo + "-secret"))
            .await().statusCode();
        assertThat(status).as(demo).isEqualTo(401);
      }
      assertThat(http.get("bank-admin", "/v1/accounts").statusCode()).isEqualTo(200);
    } finally {
      http.close();
      node.stop();
    }
  }
}
