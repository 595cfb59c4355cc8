package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.NodeExtension;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** GET /v1/cluster on a node that is not clustered: it lists itself. */
@ExtendWith(NodeExtension.class)
class SingleNodeClusterApiTest {
  static TestNode node;
  static TestClient http;

  @Test
  void aSingleNodeListsItselfWithItsRoles() {
    var response = http.get("platform-operator", "/v1/cluster");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject cluster = response.bodyAsJsonObject();
    assertThat(cluster.getBoolean("clustered")).isFalse();
    JsonArray nodes = cluster.getJsonArray("nodes");
    assertThat(nodes).hasSize(1);
    JsonObject self = nodes.getJsonObject(0);
    assertThat(self.getBoolean("self")).isTrue();
    assertThat(self.getJsonArray("roles").getList()).containsExactly("gateway", "accounts", "payments", "risk", "audit");
    assertThat(self.getString("joinedAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");
  }

  @Test
  void onlyThePlatformOperatorMayListTheCluster() {
    for (String tenantClient : new String[] {"acme-teller", "acme-admin"}) {
      var response = http.get(tenantClient, "/v1/cluster");
      assertThat(response.statusCode()).as(tenantClient).isEqualTo(403);
      assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("FORBIDDEN");
    }
  }
}
