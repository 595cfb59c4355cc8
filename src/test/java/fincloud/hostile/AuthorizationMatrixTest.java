package fincloud.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.gateway.ApiRoute;
import fincloud.gateway.Routes;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every route of {@link Routes#EVERY} (routes added later are in it too) called by a client with
 * each single scope, by one with every scope, by another tenant's client with every scope, and
 * with no or a forged token. Only a caller holding one of the route's scopes gets through; the
 * other tenant gets 404 for this tenant's resources and never sees them in an answer.
 */
@ExtendWith(NodeExtension.class)
class AuthorizationMatrixTest {
  static HostileNode node;
  static ValidBodies bodies;
  static final Map<String, String> tokens = new LinkedHashMap<>();
  static final Random random = new Random(7);

  @OwnNode
  static TestNode start() {
    return HostileNode.start();
  }

  @BeforeAll
  static void seed(TestNode testNode, TestClient http) {
    node = HostileNode.seeded(testNode, http);
    bodies = new ValidBodies(node.acmeUsd, "USD");
    HostileNode.SCOPES.forEach(scope -> tokens.put(scope, node.token(HostileNode.singleScopeClient(scope))));
    tokens.put("all scopes", node.token(HostileNode.ACME_ADMIN));
    tokens.put("globex, all scopes", node.token(HostileNode.GLOBEX_ADMIN));
    // the platform operator (tenant _platform): audit routes (its own chain, or _system) and the cluster only
    tokens.put("operator", node.token("platform-operator"));
  }

  @Test
  void onlyTheRightScopeOfTheRightTenantGetsThrough() {
    List<String> wrong = new ArrayList<>();
    StringBuilder matrix = new StringBuilder("authorization matrix (status per route and caller):\n");
    for (ApiRoute route : Routes.EVERY) {
      matrix.append(String.format("  %-7s %-32s", route.method(), route.path()));
      for (Map.Entry<String, String> caller : tokens.entrySet()) {
        boolean otherTenant = caller.getKey().startsWith("globex");
        Set<String> scopes = caller.getKey().contains("all scopes") ? Set.copyOf(HostileNode.SCOPES)
            : Set.of(caller.getKey());
        boolean allowed = route.scopes().stream().anyMatch(scopes::contains);
        RawHttp.Request request = request(route, "Bearer " + caller.getValue());
        RawHttp.Response response = send(request, wrong);
        if (response == null) {
          continue;
        }
        matrix.append(' ').append(response.status());
        String at = route.method() + " " + route.path() + " by " + caller.getKey() + " -> " + response.describe();
        Contract.violations(request, response, Contract.Kind.API, otherTenant ? "globex" : "acme", node)
            .forEach(v -> wrong.add(v + ": " + at));
        if (!allowed) {
          expectProblem(response, 403, "FORBIDDEN", at, wrong);
        } else if (otherTenant && (route.path().contains(":id") || namesAccounts(route))) {
          expectProblem(response, 404, "NOT_FOUND", at, wrong);
        } else if (response.status() == 401 || response.status() == 403 || response.status() >= 500
            || (knownValid(route) && response.status() / 100 != 2)) {
          wrong.add("an allowed call was refused: " + at);
        }
        // The audit log records the caller's own requests, ids of others' resources it named included;
        // Contract.violations has checked that each record is of the caller's chain.
        if (otherTenant && response.status() / 100 == 2 && !route.path().startsWith("/v1/audit/")) {
          acmeDataIn(request, response).forEach(id -> wrong.add("acme's " + id + " in an answer to globex: " + at));
        }
      }
      for (String token : List.of("", "Bearer ", "Bearer " + ForgedTokens.signedByAnotherKey())) {
        RawHttp.Request request = request(route, token);
        RawHttp.Response response = send(request, wrong);
        if (response != null) {
          matrix.append(' ').append(response.status());
          expectProblem(response, 401, "UNAUTHENTICATED", route.method() + " " + route.path() + " with '"
              + RawHttp.cut(token, 12) + "' -> " + response.describe(), wrong);
        }
      }
      matrix.append('\n');
    }
    matrix.append("  columns: ").append(String.join(" | ", tokens.keySet())).append(" | no token | 'Bearer ' | forged\n");
    System.out.print(matrix);
    assertThat(wrong).as(matrix.toString()).isEmpty();
  }

  /** A request that the acme admin could make successfully, aimed at fresh acme resources. */
  static RawHttp.Request request(ApiRoute route, String authorization) {
    String path = route.path();
    if (path.contains(":id")) {
      path = path.replace(":id", path.startsWith("/v1/transfers") ? freshHold() : freshAccount());
    }
    path = path.replace(":seq", "1");
    RawHttp.Request request = RawHttp.Request.of(route.method().name(), path);
    if (!authorization.isEmpty()) {
      request = request.header("Authorization", authorization);
    }
    if (route.idempotency() != ApiRoute.Idempotency.NONE) {
      request = request.header("Idempotency-Key", HostileNode.key());
    }
    if (route.method() != HttpMethod.GET) {
      JsonObject body = body(route);
      request = request.header("Content-Type", "application/json").body(body.encode().getBytes(StandardCharsets.UTF_8));
    }
    return request;
  }

  static JsonObject body(ApiRoute route) {
    JsonObject transfer = HostileNode.transfer(node.acmeFunding, node.acmeUsd.get(3), 1, "USD");
    return switch (route.path()) {
      case "/v1/accounts" -> new JsonObject().put("currency", "USD");
      case "/v1/transfers" -> transfer;
      case "/v1/transfers/batch" -> new JsonObject().put("transfers", new JsonArray().add(transfer));
      default -> route.schema() == null || route.path().endsWith("/post") ? new JsonObject() : bodies.of(route.schema(), random);
    };
  }

  /** Routes whose body this test writes itself, so that an allowed call must succeed. */
  static boolean knownValid(ApiRoute route) {
    // an inclusion proof also waits for the record's checkpoint (409 until then): InclusionProofTest, AuditApiTest
    if (route.path().contains(":seq")) {
      return false;
    }
    return route.method() == HttpMethod.GET || route.schema() == null
        || Set.of("/v1/accounts", "/v1/transfers", "/v1/transfers/batch", "/v1/transfers/:id/post").contains(route.path());
  }

  /** Routes that take acme account ids in the body: for another tenant they name nothing. */
  static boolean namesAccounts(ApiRoute route) {
    return route.method() == HttpMethod.POST
        && (route.path().equals("/v1/transfers") || route.path().equals("/v1/transfers/batch"));
  }

  static String freshAccount() {
    return node.account(HostileNode.ACME_TELLER, new JsonObject().put("currency", "USD"));
  }

  static String freshHold() {
    return HostileNode.created(node.http.post(HostileNode.ACME_ADMIN, "/v1/transfers",
        HostileNode.transfer(node.acmeFunding, node.acmeUsd.get(2), 3, "USD").put("mode", "PENDING"),
        HostileNode.key())).getString("id");
  }

  /** Ids of acme resources in an answer, apart from those the request itself named. */
  static List<String> acmeDataIn(RawHttp.Request request, RawHttp.Response response) {
    String asked = request.target() + (request.body() == null ? "" : new String(request.body(), StandardCharsets.UTF_8));
    java.util.regex.Matcher ids = java.util.regex.Pattern.compile("(acc|trf)_[0-9A-Z]{26}").matcher(response.bodyText());
    List<String> found = new ArrayList<>();
    while (ids.find()) {
      if (!asked.contains(ids.group()) && "acme".equals(node.tenantOf(ids.group()))) {
        found.add(ids.group());
      }
    }
    if (response.bodyText().contains("\"tenant\":\"acme\"")) {
      found.add("tenant acme");
    }
    return found;
  }

  static void expectProblem(RawHttp.Response response, int status, String code, String at, List<String> wrong) {
    String type = String.valueOf(response.header("Content-Type"));
    if (response.status() != status || !type.startsWith("application/problem+json")
        || !response.bodyText().contains("\"code\":\"" + code + "\"")) {
      wrong.add("expected " + status + " " + code + ": " + at);
    }
  }

  static RawHttp.Response send(RawHttp.Request request, List<String> wrong) {
    try {
      return node.raw.send(request);
    } catch (RawHttp.NoAnswer none) {
      wrong.add(none.getMessage() + ": " + request.describe());
      return null;
    }
  }
}
