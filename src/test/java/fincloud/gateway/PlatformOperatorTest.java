package fincloud.gateway;

import static fincloud.testkit.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.NodeExtension;
import fincloud.testkit.TestClient;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The platform operator (tenant _platform, scope operator) alone reads the _system audit chain
 * (failed logins of every tenant) and the cluster; a tenant's admin gets 403 there, and the
 * operator gets 403 on every tenant's money.
 */
@ExtendWith(NodeExtension.class)
class PlatformOperatorTest {
  private static final String OPERATOR = "platform-operator";
  private static final List<String> SYSTEM_READS = List.of("/v1/audit/events?tenant=_system",
      "/v1/audit/verify?tenant=_system", "/v1/audit/export?tenant=_system", "/v1/cluster");

  static TestClient http;

  @Test
  void onlyTheOperatorReadsTheSystemChainAndTheCluster() {
    for (String path : SYSTEM_READS) {
      assertThat(http.get(OPERATOR, path).statusCode()).as(path).isEqualTo(200);
      assertProblem(http.get("acme-admin", path), 403, "FORBIDDEN");
      assertProblem(http.get("acme-auditor", path), 403, "FORBIDDEN");
    }
    assertThat(http.get(OPERATOR, "/v1/audit/verify?tenant=_system").bodyAsJsonObject().getBoolean("valid")).isTrue();
  }

  @Test
  void theOperatorReadsNoTenantsMoney() {
    for (String path : List.of("/v1/accounts", "/v1/transfers?accountId=acc_x", "/v1/ledger/trial-balance",
        "/v1/risk/rules")) {
      assertProblem(http.get(OPERATOR, path), 403, "FORBIDDEN");
    }
    assertProblem(http.post(OPERATOR, "/v1/accounts", new JsonObject().put("currency", "USD")), 403, "FORBIDDEN");
    // its own tenant's chain is its own (no tenant's records), another tenant's is not found
    assertProblem(http.get(OPERATOR, "/v1/audit/events?tenant=acme"), 404, "NOT_FOUND");
  }
}
