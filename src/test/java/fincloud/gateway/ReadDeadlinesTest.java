package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.RawConnection;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Slow and silent clients are cut loose (a node with a read deadline of 500 ms, an idle timeout of
 * 3 s and room for two requests in flight): a connection that sends nothing, headers trickled
 * byte by byte, and a body that never completes are closed by the node (also when it was refused
 * before its body was read); bodies being read hold none of the node's work slots; a refused
 * body is dropped unread; a kept-alive connection may pause between requests for longer than the
 * read deadline, and is closed once silent.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class ReadDeadlinesTest {
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject()
        .put("maxInFlight", 2).put("requestReadTimeoutMs", 500).put("idleTimeoutSeconds", 3)));
  }

  @Test
  void aConnectionThatSendsNothingIsClosed() throws IOException {
    try (RawConnection socket = connect()) {
      assertThat(socket.readUntilClosed()).isEmpty();
    }
  }

  @Test
  void headersTrickledByteByByteAreCut() throws IOException {
    try (RawConnection socket = connect()) {
      socket.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
      socket.readTimeoutMs(100);
      boolean closed = false;
      for (int i = 0; i < 300 && !closed; i++) {
        try {
          socket.send("a");
          closed = socket.read() < 0;
        } catch (SocketTimeoutException stillOpen) {
          // the node has said nothing yet: one more byte
        } catch (IOException reset) {
          closed = true;
        }
      }
      assertThat(closed).as("closed by the node while its headers were still coming").isTrue();
    }
  }

  @Test
  void slowBodiesHoldNoWorkSlotsAndAreCut() throws IOException {
    String token = http.token("acme-teller");
    List<RawConnection> slow = new ArrayList<>();
    try {
      // Twice as many as the node works on at once, from a client with a valid token. The node's
      // "100 Continue" says it is reading that body; it once took a work slot for the whole read,
      // and the third got a 503 instead.
      for (int i = 0; i < 4; i++) {
        RawConnection socket = connect();
        slow.add(socket);
        socket.send("POST /v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + token + "\r\nIdempotency-Key: slow-body-" + i + "\r\nContent-Type: application/json\r\n"
            + "Expect: 100-continue\r\nContent-Length: 100\r\n\r\n");
        assertThat(socket.readResponse()).startsWith("HTTP/1.1 100");
        socket.send("{\"amount\":");
      }
      assertThat(http.web().get("/v1/accounts/acc_none").bearerTokenAuthentication(token).send().await().statusCode())
          .as("served while four bodies trickle").isEqualTo(404);
      for (RawConnection socket : slow) {
        assertThat(socket.readUntilClosed()).as("closed without an answer").isEmpty();
      }
    } finally {
      for (RawConnection socket : slow) {
        socket.close();
      }
    }
  }

  @Test
  void aBodyWithoutAValidTokenIsRefusedUnreadAndNotWaitedFor() throws IOException {
    try (RawConnection socket = connect()) {
      socket.send("POST /v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"amount\":");
      assertThat(socket.readResponse()).as("refused on its headers").startsWith("HTTP/1.1 401");
      assertThat(socket.readUntilClosed()).as("the rest of the body is not waited for").isEmpty();
    }
  }

  @Test
  void aRefusedRequestsBodyIsDroppedAndItsConnectionCarriesTheNext() throws IOException {
    try (RawConnection socket = connect()) {
      String body = "{\"amount\":" + "1".repeat(5_000) + "}";
      socket.send("POST /v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer forged\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
          + "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertThat(socket.readResponse()).startsWith("HTTP/1.1 401");
      assertThat(socket.readResponse()).startsWith("HTTP/1.1 200");
    }
  }

  @Test
  void aKeptAliveConnectionMayPauseBetweenRequestsAndIsClosedOnceSilent() throws Exception {
    try (RawConnection socket = connect()) {
      for (int i = 0; i < 2; i++) {
        socket.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertThat(socket.readResponse()).startsWith("HTTP/1.1 200");
        // Longer than the read deadline, well within the idle timeout.
        Thread.sleep(1_000);
      }
      assertThat(socket.readUntilClosed()).isEmpty();
    }
  }

  @Test
  void aBusyKeptAliveConnectionIsNeverCutMidStream() throws Exception {
    try (RawConnection socket = connect()) {
      long until = System.nanoTime() + 6_000_000_000L;
      int answered = 0;
      // Pipelined pairs for twice the idle timeout: the node answers the second request of a pair
      // before it has finished with the first, which must not leave a stray deadline behind.
      while (System.nanoTime() < until) {
        socket.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            + "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertThat(socket.readResponse()).startsWith("HTTP/1.1 200");
        assertThat(socket.readResponse()).startsWith("HTTP/1.1 200");
        answered += 2;
      }
      assertThat(answered).isPositive();
    }
  }

  private static RawConnection connect() throws IOException {
    return RawConnection.open(node.port());
  }
}
