package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
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
import java.time.Instant;
import java.util.Date;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tokens of an external identity provider, whose keys the gateway reads from a JWKS served on
 * loopback: accepted when signed by a published key, also one published after the node started;
 * refused (401) for every way a token can be wrong.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class ExternalIdentityTest {
  static final String ISSUER = "https://idp.example.test";
  static JwksServer jwks;
  static TestNode node;
  static TestClient http;
  static RSAKey rsa;
  static ECKey ec;

  @OwnNode
  static TestNode start(Vertx vertx) throws Exception {
    jwks = new JwksServer(vertx);
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    jwks.publish(rsa);
    jwks.publish(ec);
    return TestNode.start(vertx, new JsonObject().put("FINCLOUD_JWKS_URL", jwks.url())
        .put("gateway", new JsonObject().put("jwks", new JsonObject().put("issuer", ISSUER).put("minRefreshMs", 200)
            .put("tenants", new JsonArray().add("acme")).put("scopes", new JsonArray().add("accounts:read")
                .add("transfers:read").add("accounts:write")))));
  }

  @AfterAll
  static void stop() {
    jwks.close();
  }

  @Test
  void acceptsTokensSignedByPublishedKeys() throws Exception {
    assertThat(call(rs256(rsa, claims -> { })).statusCode()).isEqualTo(200);
    assertThat(call(es256(ec, claims -> { })).statusCode()).isEqualTo(200);
    // The built-in issuer's tokens still work beside the external ones.
    assertThat(http.get("acme-teller", "/v1/accounts").statusCode()).isEqualTo(200);
  }

  @Test
  void acceptsAKeyPublishedAfterStartWithoutARestart() throws Exception {
    RSAKey rotated = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
    String token = rs256(rotated, claims -> { });
    jwks.publish(rotated);
    Eventually.until("a token of the new key accepted", Duration.ofSeconds(30), () -> call(token).statusCode(), status -> status == 200);
  }

  @Test
  void refusesEveryWrongToken() throws Exception {
    Instant now = Instant.now();
    RSAKey unpublished = new RSAKeyGenerator(2048).keyID("rsa-unknown").generate();
    RSAKey impostor = new RSAKeyGenerator(2048).keyID("rsa-1").generate();

    assertRefused("alg none", new PlainJWT(claims(c -> { }).build()).serialize());
    SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(), claims(c -> { }).build());
    hmac.sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()));
    assertRefused("HMAC signed with the public key", hmac.serialize());
    assertRefused("no exp", rs256(rsa, c -> c.expirationTime(null)));
    assertRefused("past exp", rs256(rsa, c -> c.expirationTime(Date.from(now.minusSeconds(60)))));
    assertRefused("future nbf", rs256(rsa, c -> c.notBeforeTime(Date.from(now.plusSeconds(60)))));
    assertRefused("wrong iss", rs256(rsa, c -> c.issuer("https://evil.example.test")));
    assertRefused("wrong aud", rs256(rsa, c -> c.audience("someone-else")));
    assertRefused("unknown kid", rs256(unpublished, c -> { }));
    assertRefused("known kid, other key", rs256(impostor, c -> { }));
    assertRefused("no tenant", rs256(rsa, c -> c.claim("tenant", null)));
    SignedJWT noKid = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).build(), claims(c -> { }).build());
    noKid.sign(new RSASSASigner(rsa));
    assertRefused("no kid", noKid.serialize());
  }

  @Test
  void theProviderIsTrustedWithItsAllowedTenantsAndScopesOnly() throws Exception {
    assertRefused("a tenant outside gateway.jwks.tenants", rs256(rsa, c -> c.claim("tenant", "_system")));
    assertRefused("another tenant", rs256(rsa, c -> c.claim("tenant", "globex")));
    String overreaching = rs256(rsa, c -> c.claim("scope", "accounts:read admin risk:admin"));
    assertThat(call(overreaching).statusCode()).as("an allowed scope still works").isEqualTo(200);
    HttpResponse<Buffer> cluster = http.web().get("/v1/cluster").bearerTokenAuthentication(overreaching).send().await();
    assertThat(cluster.statusCode()).as("a scope outside gateway.jwks.scopes is dropped").isEqualTo(403);
    assertThat(cluster.bodyAsJsonObject().getString("code")).isEqualTo("FORBIDDEN");
  }

  @Test
  void aTokenLivingLongerThanTheMaximumIsRefused() throws Exception {
    Instant now = Instant.now();
    assertRefused("exp - iat above gateway.jwks.maxLifetimeSeconds", rs256(rsa, c -> c.issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(3601)))));
    assertRefused("no iat, so no known lifetime", rs256(rsa, c -> c.issueTime(null)));
    assertThat(call(rs256(rsa, c -> c.issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(3600))))))
        .extracting(HttpResponse::statusCode).as("exactly the maximum").isEqualTo(200);
  }

  @Test
  void unknownKidsDoNotHammerTheProvider(Vertx vertx) throws Exception {
    JwksKeys keys = new JwksKeys(vertx, jwks.url(), 60_000);
    int before = jwks.fetches();
    keys.refresh().await();
    assertThat(keys.knows("rsa-1")).isTrue();
    for (int i = 0; i < 20; i++) {
      keys.ensure("made-up-" + i).await();
    }
    assertThat(keys.knows("made-up-0")).isFalse();
    assertThat(jwks.fetches() - before).isEqualTo(1);
    keys.close();
  }

  private static void assertRefused(String why, String token) {
    HttpResponse<Buffer> response = call(token);
    assertThat(response.statusCode()).as(why).isEqualTo(401);
    assertThat(response.bodyAsJsonObject().getString("code")).as(why).isEqualTo("UNAUTHENTICATED");
  }

  private static HttpResponse<Buffer> call(String token) {
    return http.web().get("/v1/accounts").bearerTokenAuthentication(token).send().await();
  }

  private static JWTClaimsSet.Builder claims(Consumer<JWTClaimsSet.Builder> tweak) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience("fincloud").subject("idp-user-7")
        .claim("tenant", "acme").claim("scope", "accounts:read transfers:read")
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300)));
    tweak.accept(claims);
    return claims;
  }

  private static String rs256(RSAKey key, Consumer<JWTClaimsSet.Builder> tweak) throws Exception {
    SignedJWT jwt = new SignedJWT(header(JWSAlgorithm.RS256, key), claims(tweak).build());
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private static String es256(ECKey key, Consumer<JWTClaimsSet.Builder> tweak) throws Exception {
    SignedJWT jwt = new SignedJWT(header(JWSAlgorithm.ES256, key), claims(tweak).build());
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  private static JWSHeader header(JWSAlgorithm algorithm, JWK key) {
    return new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build();
  }
}
