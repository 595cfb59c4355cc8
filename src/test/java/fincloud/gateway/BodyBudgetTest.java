package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.RawConnection;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bytes of bodies a node holds (a node with room for 1.5 MiB of bodies, 1 MiB a client):
 * bodies of 600 KB declared and never sent, each told "100 Continue" when the node has room for
 * it and refused before it is read when it has none — 429 past the client's share, 503 past the
 * node's — and room again once a held one is gone.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class BodyBudgetTest {
  private static final int BODY = 600_000;
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject()
        .put("bodyBudget", new JsonObject().put("nodeBytes", 1_572_864).put("clientBytes", 1_048_576))));
  }

  @Test
  void eachClientHasItsShareAndTheNodeItsBound() throws IOException {
    List<RawConnection> held = new ArrayList<>();
    try {
      RawConnection first = bigBody("acme-teller", held);
      assertThat(first.readResponse()).startsWith("HTTP/1.1 100");
      assertThat(bigBody("acme-teller", held).readResponse())
          .as("the client's second body is past its share").startsWith("HTTP/1.1 429").contains("RATE_LIMITED");
      assertThat(bigBody("globex-teller", held).readResponse())
          .as("another client has its own share").startsWith("HTTP/1.1 100");
      assertThat(bigBody("acme-admin", held).readResponse())
          .as("a third body is past the node's bound").startsWith("HTTP/1.1 503").contains("UNAVAILABLE");
      assertThat(http.web().get("/v1/accounts/acc_none").bearerTokenAuthentication(http.token("acme-admin"))
          .send().await().statusCode()).as("requests without a body are served meanwhile").isEqualTo(404);

      first.close();
      Eventually.until("the held bodies to be answered", Duration.ofSeconds(10), () -> {
        try {
          return bigBody("acme-teller", held).readResponse();
        } catch (IOException e) {
          return e.toString();
        }
      }, answer -> answer.startsWith("HTTP/1.1 100"));
    } finally {
      for (RawConnection socket : held) {
        socket.close();
      }
    }
  }

  /** The headers of a batch whose body is announced and never sent. */
  private static RawConnection bigBody(String client, List<RawConnection> held) throws IOException {
    RawConnection socket = RawConnection.open(node.port());
    held.add(socket);
    socket.send("POST /v1/transfers/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + http.token(client) + "\r\nIdempotency-Key: budget-" + held.size() + "\r\nContent-Type: application/json\r\n"
        + "Expect: 100-continue\r\nContent-Length: " + BODY + "\r\n\r\n");
    return socket;
  }
}
