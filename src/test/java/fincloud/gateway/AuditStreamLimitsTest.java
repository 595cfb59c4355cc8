package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Live audit streams held work slots (one {@code audit:read} client with 4,096 streams took every
 * slot of a node) and outlived their token. They have limits of their own now, per client (429)
 * and per node (503), take no work slot, and end when their token expires.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class AuditStreamLimitsTest {
  /** Tokens live this long here: the stream of one must end about then. */
  private static final int TOKEN_TTL_SECONDS = 6;

  static Vertx vertx;
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx shared) {
    vertx = shared;
    return TestNode.start(vertx, new JsonObject().put("FINCLOUD_TOKEN_TTL_SECONDS", TOKEN_TTL_SECONDS)
        .put("gateway", new JsonObject().put("maxInFlight", 2)
            .put("auditStreams", new JsonObject().put("perClient", 2).put("perNode", 3))));
  }

  @Test
  void streamsHaveTheirOwnLimitsPerClientAndPerNodeAndTakeNoWorkSlot() {
    List<Stream> open = new ArrayList<>();
    try {
      open.add(Stream.open("acme-auditor"));
      open.add(Stream.open("acme-auditor"));
      Stream third = Stream.open("acme-auditor");
      assertThat(third.status).isEqualTo(429);
      assertThat(third.problem.getString("code")).isEqualTo("RATE_LIMITED");
      assertThat(third.retryAfter).isNotNull();
      // three streams open on a node of two work slots, and it still does work
      open.add(Stream.open("acme-admin"));
      assertThat(open).allSatisfy(stream -> assertThat(stream.status).isEqualTo(200));
      HttpResponse<Buffer> work = http.web().get("/v1/accounts").bearerTokenAuthentication(token("acme-teller"))
          .send().await();
      assertThat(work.statusCode()).as(work.bodyAsString()).isEqualTo(200);
      Stream overNode = Stream.open("acme-admin");
      assertThat(overNode.status).isEqualTo(503);
      assertThat(overNode.problem.getString("code")).isEqualTo("UNAVAILABLE");
      assertThat(overNode.retryAfter).isNotNull();

      open.remove(0).close();
      Stream again = Eventually.until("a slot given back when a stream closes", Duration.ofSeconds(5),
          () -> Stream.open("acme-auditor"), stream -> stream.status == 200 || stream.close());
      open.add(again);
    } finally {
      open.forEach(Stream::close);
    }
  }

  @Test
  void aStreamEndsWhenItsTokenExpires() throws Exception {
    Stream stream = Stream.open("acme-auditor");
    try {
      assertThat(stream.status).isEqualTo(200);
      assertThat(stream.ended.future().toCompletionStage().toCompletableFuture()
          .get(TOKEN_TTL_SECONDS + 5, TimeUnit.SECONDS)).isTrue();
    } finally {
      stream.close();
    }
  }

  private static String token(String clientId) {
    return http.web().post("/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap()
            .add("grant_type", "client_credentials").add("client_id", clientId)
            .add("client_secret", clientId + TestClient.SECRET_SUFFIX))
        .await().bodyAsJsonObject().getString("access_token");
  }

  /** One request to the live stream, with a fresh token; its HTTP client is its own connection. */
  static final class Stream {
    final HttpClient client = vertx.createHttpClient();
    final Promise<Boolean> ended = Promise.promise();
    int status;
    String retryAfter;
    JsonObject problem;

    static Stream open(String clientId) {
      Stream stream = new Stream();
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
          .setPort(node.port()).setURI("/v1/audit/stream")
          .putHeader("Authorization", "Bearer " + token(clientId));
      stream.client.request(options).compose(request -> request.send()).compose(response -> {
        stream.status = response.statusCode();
        stream.retryAfter = response.getHeader("Retry-After");
        if (stream.status != 200) {
          return response.body().map(body -> stream.problem = body.toJsonObject());
        }
        response.handler(chunk -> { });
        response.endHandler(done -> stream.ended.tryComplete(true));
        response.exceptionHandler(failed -> stream.ended.tryComplete(true));
        return io.vertx.core.Future.succeededFuture();
      }).await();
      return stream;
    }

    /** Closes the connection; false, so that it can sit in a predicate that closes what it rejects. */
    boolean close() {
      client.close().await();
      return false;
    }
  }
}
