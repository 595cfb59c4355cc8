package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** With gateway.tls naming a PEM certificate and key, the node speaks HTTPS only. */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class HttpsTest {
  static TestNode node;
  static SelfSignedCertificate certificate;
  static WebClient https;

  @OwnNode
  static TestNode start(Vertx vertx) {
    certificate = SelfSignedCertificate.create("localhost");
    return TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject().put("tls", new JsonObject()
        .put("certPath", certificate.certificatePath()).put("keyPath", certificate.privateKeyPath()))));
  }

  @BeforeAll
  static void connect(Vertx vertx) {
    https = WebClient.create(vertx, new WebClientOptions().setSsl(true).setDefaultHost("localhost")
        .setDefaultPort(node.port()).setTrustOptions(new PemTrustOptions().addCertPath(certificate.certificatePath())));
  }

  @AfterAll
  static void stop() {
    https.close();
    certificate.delete();
  }

  @Test
  void servesTheApiOverHttpsWithTheConfiguredCertificate() {
    HttpResponse<Buffer> token = https.post("/oauth/token").sendJsonObject(new JsonObject()
        .put("grant_type", "client_credentials").put("client_id", "acme-teller")
        .put("client_secret", "acme-teller-secret")).await();
    assertThat(token.statusCode()).isEqualTo(200);
    HttpResponse<Buffer> accounts = https.get("/v1/accounts")
        .bearerTokenAuthentication(token.bodyAsJsonObject().getString("access_token")).send().await();
    assertThat(accounts.statusCode()).isEqualTo(200);
    assertThat(https.get("/health/ready").send().await().statusCode()).isEqualTo(200);
  }

  @Test
  void refusesPlainHttpAndUntrustedClients(Vertx vertx) {
    WebClient plain = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.port()));
    assertThatThrownBy(() -> plain.get("/health/live").send().await()).isInstanceOf(Exception.class);
    plain.close();
    WebClient untrusting = WebClient.create(vertx, new WebClientOptions().setSsl(true).setDefaultHost("localhost")
        .setDefaultPort(node.port()));
    assertThatThrownBy(() -> untrusting.get("/health/live").send().await()).isInstanceOf(Exception.class);
    untrusting.close();
  }
}
