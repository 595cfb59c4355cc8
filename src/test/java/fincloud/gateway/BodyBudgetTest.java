package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bytes of bodies a node holds (a node with room for 1.5 MiB of bodies, 1 MiB a client):
 * bodies of 600 KB declared and never sent, each told "100 Continue" when the node has room for
 * it and refused before it is read when it has none — 429 past the client's share, 503 past the
 * node's — and room again once a held one is gone.
 */
@ExtendWith(VertxExtension.class)
class BodyBudgetTest {
  private static final int BODY = 600_000;
  static TestNode node;
  static TestClient http;

  @BeforeAll
  static void start(Vertx vertx) {
    node = TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject()
        .put("bodyBudget", new JsonObject().put("nodeBytes", 1_572_864).put("clientBytes", 1_048_576))));
    http = node.client();
  }

  @AfterAll
  static void stop() {
    http.close();
    node.stop();
  }

  @Test
  void eachClientHasItsShareAndTheNodeItsBound() throws IOException {
    List<Socket> held = new ArrayList<>();
    try {
      Socket first = bigBody("acme-teller", held);
      assertThat(RawConnection.readResponse(first)).startsWith("HTTP/1.1 100");
      assertThat(RawConnection.readResponse(bigBody("acme-teller", held)))
          .as("the client's second body is past its share").startsWith("HTTP/1.1 429").contains("RATE_LIMITED");
      assertThat(RawConnection.readResponse(bigBody("globex-teller", held)))
          .as("another client has its own share").startsWith("HTTP/1.1 100");
      assertThat(RawConnection.readResponse(bigBody("acme-admin", held)))
          .as("a third body is past the node's bound").startsWith("HTTP/1.1 503").contains("UNAVAILABLE");
      assertThat(http.web().get("/v1/accounts/acc_none").bearerTokenAuthentication(http.token("acme-admin"))
          .send().await().statusCode()).as("requests without a body are served meanwhile").isEqualTo(404);

      first.close();
      Eventually.until("the held bodies to be answered", Duration.ofSeconds(10), () -> {
        try {
          return RawConnection.readResponse(bigBody("acme-teller", held));
        } catch (IOException e) {
          return e.toString();
        }
      }, answer -> answer.startsWith("HTTP/1.1 100"));
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  /** The headers of a batch whose body is announced and never sent. */
  private static Socket bigBody(String client, List<Socket> held) throws IOException {
    Socket socket = RawConnection.open(node.port());
    held.add(socket);
    RawConnection.send(socket, "POST /v1/transfers/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + http.token(client) + "\r\nIdempotency-Key: budget-" + held.size() + "\r\nContent-Type: application/json\r\n"
        + "Expect: 100-continue\r\nContent-Length: " + BODY + "\r\n\r\n");
    return socket;
  }
}
