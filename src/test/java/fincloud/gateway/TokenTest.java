package fincloud.gateway;

import static fincloud.testkit.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import fincloud.node.DatabaseSettings;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The token endpoint and the verification of bearer tokens: forged tokens of every kind are 401,
 * a valid token without the route's scope is 403. Forgeries that need the issuer's own key take it
 * from the node's key file, as an attacker who stole it could; those show that each claim check
 * (and not only the signature) holds. The database holds the public halves only.
 */
@ExtendWith(NodeExtension.class)
class TokenTest {
  private static final String PROTECTED = "/v1/accounts";

  static TestNode node;
  static TestClient http;
  static ECKey issuerKey;

  @BeforeAll
  static void start() throws Exception {
    http.token("acme-teller"); // the node signs with the key generated into its data folder
    issuerKey = ECKey.parse(Files.readString(node.dataDir().resolve("gateway-signing-key.jwk")));
    try (Connection connection = DatabaseSettings.connect(node.pgUrl());
         Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery("SELECT public_jwk FROM signing_keys WHERE kid = '"
             + issuerKey.getKeyID() + "'")) {
      assertThat(rows.next()).as("the node's public key is published").isTrue();
      assertThat(ECKey.parse(rows.getString(1)).isPrivate()).as("no private half in the database").isFalse();
    }
  }

  private static JWTClaimsSet.Builder validClaims() {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder().issuer("fincloud").audience("fincloud").subject("acme-teller")
        .claim("tenant", "acme").claim("scope", "accounts:read accounts:write")
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600))).jwtID(UUID.randomUUID().toString());
  }

  private static String sign(JWSSigner signer, JWSAlgorithm algorithm, String kid, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  private static String signedByIssuer(JWTClaimsSet claims) throws Exception {
    return sign(new ECDSASigner(issuerKey), JWSAlgorithm.ES256, issuerKey.getKeyID(), claims);
  }

  private static HttpResponse<Buffer> getWith(String authorization) {
    var request = http.web().get(PROTECTED);
    if (authorization != null) {
      request.putHeader("Authorization", authorization);
    }
    return request.send().await();
  }

  private static void assertUnauthenticated(String token, String what) {
    HttpResponse<Buffer> response = getWith("Bearer " + token);
    assertThat(response.statusCode()).as(what).isEqualTo(401);
    assertProblem(response, 401, "UNAUTHENTICATED");
    assertThat(response.getHeader("WWW-Authenticate")).as(what).startsWith("Bearer");
  }

  @Test
  void aTokenMadeWithTheIssuersKeyAndValidClaimsIsAccepted() throws Exception {
    // The control for the forgeries below: they differ from this token in one point each.
    assertThat(getWith("Bearer " + signedByIssuer(validClaims().build())).statusCode()).isEqualTo(200);
  }

  @Test
  void aTokenOfTheIssuerLivingLongerThanTheMaximumIsRefused() throws Exception {
    Instant now = Instant.now();
    assertUnauthenticated(signedByIssuer(validClaims().expirationTime(Date.from(now.plusSeconds(7200))).build()),
        "exp - iat of two hours, above gateway.jwks.maxLifetimeSeconds (3600)");
    assertUnauthenticated(signedByIssuer(validClaims().issueTime(null).build()), "no iat");
  }

  @Test
  void unsignedTokensAreRefused() {
    assertUnauthenticated(new PlainJWT(validClaims().build()).serialize(), "alg none");
    String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    String payload = b64(validClaims().build().toString());
    assertUnauthenticated(header + "." + payload + ".", "hand-made alg none");
    String[] real = http.token("acme-teller").split("\\.");
    assertUnauthenticated(header + "." + real[1] + "." + real[2], "alg none with a real signature");
    assertUnauthenticated(header + "." + real[1] + ".", "alg none with a real payload");
  }

  @Test
  void hmacTokensSignedWithThePublicKeyAreRefused() throws Exception {
    ECKey publicKey = issuerKey.toPublicJWK();
    byte[] der = publicKey.toECPublicKey().getEncoded();
    assertUnauthenticated(sign(new MACSigner(der), JWSAlgorithm.HS256, issuerKey.getKeyID(), validClaims().build()),
        "HS256 keyed with the DER public key");
    byte[] jwk = publicKey.toJSONString().getBytes(StandardCharsets.UTF_8);
    assertUnauthenticated(sign(new MACSigner(jwk), JWSAlgorithm.HS256, issuerKey.getKeyID(), validClaims().build()),
        "HS256 keyed with the JWK text");
    assertUnauthenticated(sign(new MACSigner(jwk), JWSAlgorithm.HS512, issuerKey.getKeyID(), validClaims().build()),
        "HS512 keyed with the JWK text");
  }

  @Test
  void aTamperedPayloadIsRefused() {
    String[] parts = http.token("acme-teller").split("\\.");
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    String asGlobex = b64(claims.copy().put("tenant", "globex").encode());
    assertUnauthenticated(parts[0] + "." + asGlobex + "." + parts[2], "tenant changed");
    String asAdmin = b64(claims.copy().put("scope", claims.getString("scope") + " admin").encode());
    assertUnauthenticated(parts[0] + "." + asAdmin + "." + parts[2], "scope widened");
    String longer = b64(claims.copy().put("exp", claims.getLong("exp") + 86_400).encode());
    assertUnauthenticated(parts[0] + "." + longer + "." + parts[2], "exp pushed back");
    String flipped = parts[2].substring(0, 10) + (parts[2].charAt(10) == 'A' ? 'B' : 'A') + parts[2].substring(11);
    assertUnauthenticated(parts[0] + "." + parts[1] + "." + flipped, "signature altered");
    assertUnauthenticated(parts[0] + "." + parts[1], "signature missing");
  }

  @Test
  void expiredTokensAndTokensWithoutExpiryAreRefused() throws Exception {
    Instant now = Instant.now();
    assertUnauthenticated(signedByIssuer(validClaims().issueTime(Date.from(now.minusSeconds(7200)))
        .expirationTime(Date.from(now.minusSeconds(3600))).build()), "expired an hour ago");
    assertUnauthenticated(signedByIssuer(validClaims().issueTime(Date.from(now.minusSeconds(120)))
        .expirationTime(Date.from(now.minusSeconds(60))).build()), "expired a minute ago");
    assertUnauthenticated(signedByIssuer(validClaims().expirationTime(null).build()), "no exp");
    assertUnauthenticated(signedByIssuer(validClaims().notBeforeTime(Date.from(now.plusSeconds(3600))).build()),
        "not valid before an hour from now");
  }

  @Test
  void wrongAudienceOrIssuerIsRefused() throws Exception {
    assertUnauthenticated(signedByIssuer(validClaims().audience("someone-else").build()), "wrong aud");
    assertUnauthenticated(signedByIssuer(validClaims().audience((String) null).build()), "no aud");
    assertUnauthenticated(signedByIssuer(validClaims().issuer("https://evil.example").build()), "wrong iss");
    assertUnauthenticated(signedByIssuer(validClaims().issuer(null).build()), "no iss");
  }

  @Test
  void tokensWithoutTheFinCloudClaimsAreRefused() throws Exception {
    assertUnauthenticated(signedByIssuer(validClaims().claim("tenant", null).build()), "no tenant");
    assertUnauthenticated(signedByIssuer(validClaims().claim("tenant", "").build()), "empty tenant");
    assertUnauthenticated(signedByIssuer(validClaims().claim("scope", null).build()), "no scope");
    assertUnauthenticated(signedByIssuer(validClaims().subject(null).build()), "no sub");
  }

  @Test
  void tokensSignedByAnUnknownKeyAreRefused() throws Exception {
    ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID(issuerKey.getKeyID()).generate();
    assertUnauthenticated(sign(new ECDSASigner(stranger), JWSAlgorithm.ES256, issuerKey.getKeyID(),
        validClaims().build()), "unknown EC key claiming the issuer's kid");
    assertUnauthenticated(sign(new ECDSASigner(stranger), JWSAlgorithm.ES256, "other-kid", validClaims().build()),
        "unknown EC key with its own kid");
    assertUnauthenticated(sign(new ECDSASigner(stranger), JWSAlgorithm.ES256, null, validClaims().build()),
        "unknown EC key without kid");
    RSAKey rsa = new RSAKeyGenerator(2048).keyID(issuerKey.getKeyID()).generate();
    assertUnauthenticated(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, issuerKey.getKeyID(), validClaims().build()),
        "unknown RSA key");
  }

  @Test
  void missingOrMalformedCredentialsAreRefused() {
    for (String authorization : List.of("", "Bearer", "Bearer ", "Bearer not-a-jwt", "Bearer a.b.c",
        "Basic " + Base64.getEncoder().encodeToString("acme-teller:acme-teller-secret".getBytes(StandardCharsets.UTF_8)),
        http.token("acme-teller"))) {
      HttpResponse<Buffer> response = getWith(authorization);
      assertThat(response.statusCode()).as("Authorization: %s", authorization).isEqualTo(401);
      assertProblem(response, 401, "UNAUTHENTICATED");
    }
    HttpResponse<Buffer> none = getWith(null);
    assertProblem(none, 401, "UNAUTHENTICATED");
    assertThat(none.getHeader("WWW-Authenticate")).startsWith("Bearer");
  }

  @Test
  void aValidTokenWithoutTheRoutesScopeIs403() {
    Map<String, List<String>> refused = Map.of(
        "acme-auditor", List.of("POST /v1/accounts", "POST /v1/transfers", "POST /v1/accounts/acc_x/freeze"),
        "acme-teller", List.of("GET /v1/ledger/trial-balance"),
        "globex-teller", List.of("GET /v1/ledger/trial-balance"));
    refused.forEach((client, routes) -> routes.forEach(route -> {
      String[] parts = route.split(" ");
      var request = http.web().request(io.vertx.core.http.HttpMethod.valueOf(parts[0]), parts[1])
          .bearerTokenAuthentication(http.token(client)).putHeader("Idempotency-Key", UUID.randomUUID().toString());
      HttpResponse<Buffer> response = parts[0].equals("POST")
          ? request.sendJsonObject(new JsonObject().put("currency", "EUR")).await() : request.send().await();
      assertThat(response.statusCode()).as("%s by %s", route, client).isEqualTo(403);
      assertProblem(response, 403, "FORBIDDEN");
    }));
    assertThat(http.get("acme-auditor", "/v1/ledger/trial-balance").statusCode()).isEqualTo(200);
    assertThat(http.get("acme-admin", "/v1/ledger/trial-balance").statusCode()).isEqualTo(200);
  }

  @Test
  void aTokenAskedWithFewerScopesHasOnlyThose() {
    HttpResponse<Buffer> issued = tokenRequest(form("acme-teller", "acme-teller-secret").add("scope", "accounts:read"));
    assertThat(issued.statusCode()).isEqualTo(200);
    assertThat(issued.bodyAsJsonObject().getString("scope")).isEqualTo("accounts:read");
    String token = issued.bodyAsJsonObject().getString("access_token");
    assertThat(http.web().get(PROTECTED).bearerTokenAuthentication(token).send().await().statusCode()).isEqualTo(200);
    HttpResponse<Buffer> open = http.web().post(PROTECTED).bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("currency", "EUR")).await();
    assertProblem(open, 403, "FORBIDDEN");
  }

  @Test
  void theTokenEndpointIssuesSignedTokensWithTheDocumentedClaims() throws Exception {
    HttpResponse<Buffer> response = tokenRequest(form("acme-teller", "acme-teller-secret"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getString("token_type")).isEqualTo("Bearer");
    assertThat(body.getLong("expires_in")).isEqualTo(3600L);
    assertThat(body.getString("scope").split(" "))
        .containsExactlyInAnyOrder("accounts:read", "accounts:write", "transfers:read", "transfers:write");
    SignedJWT jwt = SignedJWT.parse(body.getString("access_token"));
    assertThat(jwt.getHeader().getAlgorithm()).isIn(JWSAlgorithm.ES256, JWSAlgorithm.RS256);
    assertThat(jwt.verify(new com.nimbusds.jose.crypto.ECDSAVerifier(issuerKey.toPublicJWK()))).isTrue();
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo("fincloud");
    assertThat(claims.getAudience()).containsExactly("fincloud");
    assertThat(claims.getSubject()).isEqualTo("acme-teller");
    assertThat(claims.getStringClaim("tenant")).isEqualTo("acme");
    assertThat(claims.getStringClaim("scope")).isEqualTo(body.getString("scope"));
    assertThat(claims.getJWTID()).isNotBlank();
    assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()).isEqualTo(3_600_000L);
    assertThat(body.encode()).doesNotContain("acme-teller-secret");
  }

  @Test
  void theTokenEndpointTakesJsonAndBasicCredentials() {
    HttpResponse<Buffer> json = http.web().post("/oauth/token").sendJsonObject(new JsonObject()
        .put("grant_type", "client_credentials").put("client_id", "globex-teller")
        .put("client_secret", "globex-teller-secret")).await();
    assertThat(json.statusCode()).isEqualTo(200);
    HttpResponse<Buffer> basic = http.web().post("/oauth/token").basicAuthentication("acme-auditor", "acme-auditor-secret")
        .sendForm(MultiMap.caseInsensitiveMultiMap().add("grant_type", "client_credentials")).await();
    assertThat(basic.statusCode()).isEqualTo(200);
    String token = basic.bodyAsJsonObject().getString("access_token");
    assertThat(http.web().get("/v1/ledger/trial-balance").bearerTokenAuthentication(token).send().await()
        .statusCode()).isEqualTo(200);
  }

  @Test
  void theTokenEndpointRefusesBadCredentialsTheOAuthWay() {
    for (MultiMap bad : List.of(form("acme-teller", "wrong"), form("acme-teller", "globex-teller-secret"),
        form("nobody", "nobody-secret"), form("acme-teller", null))) {
      HttpResponse<Buffer> response = tokenRequest(bad);
      assertThat(response.statusCode()).as(bad.toString()).isEqualTo(401);
      assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("invalid_client");
      assertThat(response.bodyAsJsonObject().containsKey("access_token")).isFalse();
    }
    HttpResponse<Buffer> grant = tokenRequest(form("acme-teller", "acme-teller-secret").set("grant_type", "password"));
    assertThat(grant.statusCode()).isEqualTo(400);
    assertThat(grant.bodyAsJsonObject().getString("error")).isEqualTo("unsupported_grant_type");
    HttpResponse<Buffer> scope = tokenRequest(form("acme-teller", "acme-teller-secret").add("scope", "admin"));
    assertThat(scope.statusCode()).isEqualTo(400);
    assertThat(scope.bodyAsJsonObject().getString("error")).isEqualTo("invalid_scope");
  }

  @Test
  void theTokenEndpointTakesSmallBodiesOnly() {
    MultiMap padded = form("acme-teller", "acme-teller-secret");
    for (int i = 0; i < 30; i++) {
      padded.add("padding" + i, "x".repeat(300));
    }
    assertThat(tokenRequest(padded).statusCode()).as("a form over 8 KiB").isEqualTo(413);
    assertThat(tokenRequest(form("acme-teller", "acme-teller-secret").add("scope", "transfers:read " + " ".repeat(7_000)))
        .statusCode()).as("a form within 8 KiB").isEqualTo(200);
  }

  private static MultiMap form(String clientId, String secret) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("grant_type", "client_credentials").add("client_id", clientId);
    if (secret != null) {
      form.add("client_secret", secret);
    }
    return form;
  }

  private static HttpResponse<Buffer> tokenRequest(MultiMap form) {
    return http.web().post("/oauth/token").sendForm(form).await();
  }

  private static String b64(String text) {
    return Base64URL.encode(text.getBytes(StandardCharsets.UTF_8)).toString();
  }
}
