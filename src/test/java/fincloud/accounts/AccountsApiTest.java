package fincloud.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class AccountsApiTest {
  static TestNode node;
  static TestClient http;

  @BeforeAll
  static void start(Vertx vertx) {
    node = TestNode.start(vertx);
    http = node.client();
  }

  @AfterAll
  static void stop() {
    http.close();
    node.stop();
  }

  @Test
  void opensAnAccountWithZeroBalances() {
    JsonObject account = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR").put("ownerRef", "cust-42"));
    assertThat(account.getString("id")).startsWith("acc_");
    assertThat(account.getString("tenant")).isEqualTo("acme");
    assertThat(account.getString("status")).isEqualTo("ACTIVE");
    assertThat(account.getJsonObject("balance")).isEqualTo(new JsonObject().put("posted", 0).put("pending", 0).put("available", 0));
    assertThat(http.get("acme-teller", "/v1/accounts/" + account.getString("id")).bodyAsJsonObject()).isEqualTo(account);
  }

  @Test
  void anotherTenantsAccountIsNotFound() {
    JsonObject account = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR"));
    var response = http.get("globex-teller", "/v1/accounts/" + account.getString("id"));
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("NOT_FOUND");
    assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
  }
}
