package fincloud.gateway;

import static fincloud.testkit.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code POST /v1/tokens/revocations}: a tenant's admin revokes one of its tenant's tokens by its
 * {@code jti}; the token is refused at once on the node that took the revocation and within
 * seconds on another node of the same database; another tenant's tokens are out of its reach.
 */
@ExtendWith(VertxExtension.class)
class TokenRevocationTest {
  static final String ROUTE = "/v1/tokens/revocations";
  static String pgUrl;
  static TestNode node;
  static TestNode otherNode;
  static Vertx otherVertx;
  static TestClient http;
  static TestClient atOtherNode;

  @BeforeAll
  static void start(Vertx vertx) {
    pgUrl = TestDatabase.freshDatabase();
    node = TestNode.start(vertx, new JsonObject(), pgUrl);
    otherVertx = Vertx.vertx();
    otherNode = TestNode.start(otherVertx, new JsonObject(), pgUrl);
    http = node.client();
    atOtherNode = otherNode.client();
  }

  @AfterAll
  static void stop() {
    http.close();
    atOtherNode.close();
    otherNode.stop();
    otherVertx.close().await();
    node.stop();
  }

  @Test
  void aRevokedTokenIsRefusedOnEveryNode() throws Exception {
    String token = freshToken("acme-teller");
    assertThat(call(http, token).statusCode()).isEqualTo(200);
    assertThat(call(atOtherNode, token).statusCode()).isEqualTo(200);

    HttpResponse<Buffer> revoked = http.post("acme-admin", ROUTE, revocation(token));
    assertThat(revoked.statusCode()).as(revoked.bodyAsString()).isEqualTo(201);
    JwtParts parts = parts(token);
    assertThat(revoked.bodyAsJsonObject().getString("jti")).isEqualTo(parts.jti());
    assertThat(revoked.bodyAsJsonObject().getString("tenant")).isEqualTo("acme");

    assertProblem(call(http, token), 401, "UNAUTHENTICATED");
    Eventually.until("the other node refuses the revoked token", Duration.ofSeconds(5),
        () -> call(atOtherNode, token).statusCode(), status -> status == 401);
    assertThat(http.post("acme-admin", ROUTE, revocation(token)).statusCode()).as("again: already revoked")
        .isEqualTo(200);
    assertThat(call(http, freshToken("acme-teller")).statusCode()).as("the client's next token works").isEqualTo(200);
    Eventually.until("the revocation is audited", Duration.ofSeconds(10), () -> TestSql.number(pgUrl,
        "SELECT count(*) FROM " + TestSql.AUDIT_FACTS + " f WHERE action = 'TOKEN_REVOKED' AND entity_id = ?",
        parts.jti()), count -> count >= 1);
  }

  @Test
  void anAdminCannotRevokeAnotherTenantsToken() throws Exception {
    String globex = freshToken("globex-teller");
    assertThat(http.post("acme-admin", ROUTE, revocation(globex)).statusCode()).isEqualTo(201);
    Thread.sleep(2 * TokenRevocations.POLL_MS + 500);
    assertThat(call(atOtherNode, globex).statusCode()).as("a revocation counts in the admin's own tenant only")
        .isEqualTo(200);
    assertProblem(http.post("acme-teller", ROUTE, revocation(globex)), 403, "FORBIDDEN");
  }

  @Test
  void theRevocationMustMatchATokensPossibleLife() throws Exception {
    String token = freshToken("acme-auditor");
    JsonObject past = revocation(token).put("expiresAt", Instant.now().minusSeconds(5).toString());
    assertProblem(http.post("acme-admin", ROUTE, past), 400, "VALIDATION_FAILED");
    JsonObject tooLate = revocation(token).put("expiresAt", Instant.now().plusSeconds(86_400).toString());
    assertProblem(http.post("acme-admin", ROUTE, tooLate), 400, "VALIDATION_FAILED");
    assertProblem(http.post("acme-admin", ROUTE, revocation(token).put("tenant", "globex")), 400, "VALIDATION_FAILED");
    assertProblem(http.post("acme-admin", ROUTE, new JsonObject().put("jti", "x")), 400, "VALIDATION_FAILED");
    assertThat(call(http, token).statusCode()).as("nothing was revoked").isEqualTo(200);
  }

  private record JwtParts(String jti, Instant expiresAt) {
  }

  private static JwtParts parts(String token) throws Exception {
    JWTClaimsSet claims = SignedJWT.parse(token).getJWTClaimsSet();
    return new JwtParts(claims.getJWTID(), claims.getExpirationTime().toInstant());
  }

  private static JsonObject revocation(String token) throws Exception {
    JwtParts parts = parts(token);
    return new JsonObject().put("jti", parts.jti()).put("expiresAt", parts.expiresAt().toString());
  }

  /** A token of its own (the test client keeps one per client id, which a revocation would spoil). */
  private static String freshToken(String clientId) {
    return http.web().post("/oauth/token").sendForm(io.vertx.core.MultiMap.caseInsensitiveMultiMap()
            .add("grant_type", "client_credentials").add("client_id", clientId)
            .add("client_secret", clientId + TestClient.SECRET_SUFFIX))
        .await().bodyAsJsonObject().getString("access_token");
  }

  private static HttpResponse<Buffer> call(TestClient client, String token) {
    return client.web().get("/v1/accounts").bearerTokenAuthentication(token).send().await();
  }
}
