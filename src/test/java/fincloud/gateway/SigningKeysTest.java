package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import fincloud.node.DatabaseSettings;
import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The token signing keys: private halves only in the nodes' configuration or key files, public
 * halves in the database; a node started with a new key is trusted by the others without a
 * restart, and a retired key stops verifying once the longest token lifetime has passed.
 */
@ExtendWith(VertxExtension.class)
class SigningKeysTest {

  @Test
  void aNodeWithANewKeyIsTrustedByTheOthersWithoutARestartAndARetiredKeyStopsVerifying(Vertx vertx) throws Exception {
    String pgUrl = TestDatabase.freshDatabase();
    TestNode first = TestNode.start(vertx, new JsonObject(), pgUrl);
    Vertx otherVertx = Vertx.vertx();
    TestClient atFirst = first.client();
    try {
      // Started after the first node has read the keys: its key is new to the first node.
      TestNode second = TestNode.start(otherVertx, new JsonObject(), pgUrl);
      TestClient atSecond = second.client();
      try {
        String token = atSecond.token("acme-teller");
        String kid = SignedJWT.parse(token).getHeader().getKeyID();
        assertThat(Files.getPosixFilePermissions(second.dataDir().resolve("gateway-signing-key.jwk")))
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Eventually.until("the first node accepts the second node's token", Duration.ofSeconds(10),
            () -> atFirst.web().get("/v1/accounts").bearerTokenAuthentication(token).send().await().statusCode(),
            status -> status == 200);

        TestSql.rows(pgUrl, "UPDATE signing_keys SET retired_at = now() - interval '3601 seconds' WHERE kid = ? RETURNING kid", kid);
        // Any token it signed before has expired by now; one it signs still (a node left with the
        // retired key) is refused.
        Eventually.until("a key retired longer ago than the longest token lifetime verifies nothing",
            Duration.ofSeconds(10), () -> atFirst.web().get("/v1/accounts")
                .bearerTokenAuthentication(freshToken(atSecond, "acme-teller")).send().await().statusCode(),
            status -> status == 401);
      } finally {
        atSecond.close();
        second.stop();
      }
    } finally {
      atFirst.close();
      otherVertx.close().await();
      first.stop();
    }
  }

  @Test
  void theDatabaseKeepsPublicKeysOnly() throws Exception {
    String pgUrl = TestDatabase.freshDatabase();
    assertThat(TestSql.rows(pgUrl, "SELECT column_name FROM information_schema.columns"
        + " WHERE table_name = 'signing_keys'")).extracting(row -> row.get("column_name"))
        .containsExactlyInAnyOrder("kid", "algorithm", "public_jwk", "created_at", "retired_at");
    ECKey key = SigningKeys.generate();
    try (Connection connection = DatabaseSettings.connect(pgUrl); Statement statement = connection.createStatement()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> statement.execute(
          "INSERT INTO signing_keys (kid, algorithm, public_jwk) VALUES ('k', 'ES256', '" + key.toJSONString() + "')"))
          .as("a private JWK is refused").hasMessageContaining("signing_keys_public_only");
    }
  }

  @Test
  void theMigrationDeletesPrivateKeysAlreadyStoredAndKeepsTheirPublicHalvesRetired() throws Exception {
    String server = TestDatabase.serverUrl();
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection connection = DatabaseSettings.connect(server); Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    }
    String pgUrl = server.substring(0, server.lastIndexOf('/') + 1) + name;
    Flyway flyway = Flyway.configure().dataSource(DatabaseSettings.jdbcUrl(pgUrl), "postgres", "postgres")
        .locations("classpath:db/migration").target("6").load();
    flyway.migrate();
    ECKey stored = SigningKeys.generate();
    TestSql.rows(pgUrl, "INSERT INTO signing_keys (kid, algorithm, private_jwk) VALUES (?, 'ES256', ?) RETURNING kid",
        stored.getKeyID(), stored.toJSONString());
    Flyway.configure().dataSource(DatabaseSettings.jdbcUrl(pgUrl), "postgres", "postgres")
        .locations("classpath:db/migration").load().migrate();
    var rows = TestSql.rows(pgUrl, "SELECT public_jwk, retired_at FROM signing_keys");
    assertThat(rows).hasSize(1);
    ECKey kept = ECKey.parse((String) rows.get(0).get("public_jwk"));
    assertThat(kept.isPrivate()).isFalse();
    assertThat(kept.toJSONString()).isEqualTo(stored.toPublicJWK().toJSONString());
    assertThat(rows.get(0).get("retired_at")).as("no node signs with it again").isNotNull();
  }

  private static String freshToken(TestClient client, String clientId) {
    return client.web().post("/oauth/token").sendForm(io.vertx.core.MultiMap.caseInsensitiveMultiMap()
            .add("grant_type", "client_credentials").add("client_id", clientId)
            .add("client_secret", clientId + TestClient.SECRET_SUFFIX))
        .await().bodyAsJsonObject().getString("access_token");
  }
}
