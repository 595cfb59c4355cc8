package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GET /v1/audit/export} (NDJSON) and {@code GET /v1/audit/stream} (Server-Sent Events). */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class AuditStreamsTest {
  static final String AUDITOR = "acme-auditor";
  static Vertx vertx;
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx shared) {
    vertx = shared;
    return TestNode.start(vertx, new JsonObject().put("audit", new JsonObject().put("checkpointEvery", 10)));
  }

  @BeforeAll
  static void prepare() {
    for (int i = 0; i < 12; i++) {
      http.openAccount("acme-teller", new JsonObject().put("currency", "USD"));
    }
    Eventually.until("twelve records sealed", AuditReads.DEADLINE, () -> AuditReads.all(http, AUDITOR, ""),
        found -> found.size() >= 12);
  }

  private static List<JsonObject> lines(HttpResponse<Buffer> export) {
    assertThat(export.statusCode()).as(export.bodyAsString()).isEqualTo(200);
    assertThat(export.getHeader("Content-Type")).startsWith("application/x-ndjson");
    String body = export.bodyAsString();
    assertThat(body).endsWith("\n");
    return Arrays.stream(body.split("\n")).map(JsonObject::new).toList();
  }

  @Test
  void anExportIsTheChainOneRecordPerLineLinkedByHashes() {
    List<JsonObject> chain = AuditReads.all(http, AUDITOR, "");
    List<JsonObject> all = lines(http.get(AUDITOR, "/v1/audit/export"));
    assertThat(all).hasSizeGreaterThanOrEqualTo(chain.size());
    assertThat(all.subList(0, chain.size())).isEqualTo(chain);

    List<JsonObject> slice = lines(http.get(AUDITOR, "/v1/audit/export?from=3&to=7"));
    assertThat(slice).extracting(r -> r.getLong("seq")).containsExactly(3L, 4L, 5L, 6L, 7L);
    for (int i = 1; i < slice.size(); i++) {
      assertThat(slice.get(i).getString("prevHash")).isEqualTo(slice.get(i - 1).getString("hash"));
    }
    assertThat(slice.get(0).getString("prevHash")).isEqualTo(all.get(1).getString("hash"));
  }

  @Test
  void anExportCanBeLimitedToATimeRange() {
    List<JsonObject> chain = AuditReads.all(http, AUDITOR, "");
    String since = chain.get(4).getString("at");
    String until = chain.get(8).getString("at");
    List<JsonObject> slice = lines(http.get(AUDITOR, "/v1/audit/export?since=" + since + "&until=" + until));
    assertThat(slice).isNotEmpty().allMatch(r -> r.getString("at").compareTo(since) >= 0
        && r.getString("at").compareTo(until) < 0);
    assertThat(slice.get(0).getLong("seq")).isEqualTo(5);
  }

  @Test
  void aBadExportRangeIsRefusedBeforeAnythingIsStreamed() {
    for (String query : List.of("from=5&to=4", "from=0", "to=x", "since=yesterday")) {
      HttpResponse<Buffer> refused = http.get(AUDITOR, "/v1/audit/export?" + query);
      assertThat(refused.statusCode()).as(query).isEqualTo(400);
      assertThat(refused.bodyAsJsonObject().getString("code")).isEqualTo("VALIDATION_FAILED");
    }
    assertThat(http.get("acme-teller", "/v1/audit/export").statusCode()).isEqualTo(403);
  }

  @Test
  void theStreamSendsWhatIsSealedAndResumesAfterTheLastEventId() throws Exception {
    long seen;
    try (Events live = Events.open(null, null)) {
      assertThat(live.status).isEqualTo(200);
      assertThat(live.contentType).startsWith("text/event-stream");
      String account = http.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
      JsonObject event = live.next();
      assertThat(event.getString("entityId")).as("only records sealed after connecting").isEqualTo(account);
      assertThat(live.lastId).isEqualTo(event.getLong("seq"));
      seen = event.getLong("seq");
    }
    http.openAccount("acme-teller", new JsonObject().put("currency", "USD"));
    http.openAccount("acme-teller", new JsonObject().put("currency", "USD"));
    try (Events resumed = Events.open(Long.toString(seen - 2), null)) {
      List<Long> seqs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        seqs.add(resumed.next().getLong("seq"));
      }
      assertThat(seqs).containsExactly(seen - 1, seen, seen + 1, seen + 2);
    }
    try (Events fromQuery = Events.open(null, "?after=0")) {
      assertThat(fromQuery.next().getLong("seq")).isEqualTo(1);
      assertThat(fromQuery.next().getLong("seq")).isEqualTo(2);
    }
    try (Events refused = Events.open("abc", null)) {
      assertThat(refused.status).isEqualTo(400);
    }
  }

  /** Like the audit reads: {@code data} is what the hash covers (sealed), the clear values beside it. */
  @Test
  void theStreamAndTheExportCarryTheClearDataBesideTheSealedData() throws Exception {
    JsonObject metadata = new JsonObject().put("name", "Streamed Customer");
    String account;
    JsonObject event;
    try (Events live = Events.open(null, null)) {
      account = http.openAccount("acme-teller", new JsonObject().put("currency", "USD")
          .put("ownerRef", "streamed-owner").put("metadata", metadata)).getString("id");
      event = live.next();
    }
    assertThat(event.getString("entityId")).isEqualTo(account);
    assertThat(event.getJsonObject("data").getString("ownerRef")).startsWith("fc1:");
    assertThat(event.getJsonObject("data").getJsonObject("metadata").fieldNames()).containsExactly("encrypted");
    assertThat(event.getJsonObject("clearData").getString("ownerRef")).isEqualTo("streamed-owner");
    assertThat(event.getJsonObject("clearData").getJsonObject("metadata")).isEqualTo(metadata);

    long seq = event.getLong("seq");
    List<JsonObject> exported = lines(http.get(AUDITOR, "/v1/audit/export?from=" + seq + "&to=" + seq));
    assertThat(exported).containsExactly(event);
  }

  /** A client of the event stream, reading events as they come. */
  static final class Events implements AutoCloseable {
    final HttpClient client = vertx.createHttpClient();
    final BlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
    final StringBuilder pending = new StringBuilder();
    int status;
    String contentType;
    volatile long lastId;

    static Events open(String lastEventId, String query) {
      Events events = new Events();
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
          .setPort(node.port()).setURI("/v1/audit/stream" + (query == null ? "" : query))
          .putHeader("Authorization", "Bearer " + http.token(AUDITOR));
      if (lastEventId != null) {
        options.putHeader("Last-Event-ID", lastEventId);
      }
      HttpClientResponse response = events.client.request(options).compose(request -> request.send())
          .map(received -> received.handler(events::received)).await();
      events.status = response.statusCode();
      events.contentType = response.getHeader("Content-Type");
      return events;
    }

    private synchronized void received(Buffer chunk) {
      pending.append(chunk.toString());
      int end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        String block = pending.substring(0, end);
        pending.delete(0, end + 2);
        for (String line : block.split("\n")) {
          if (line.startsWith("id: ")) {
            lastId = Long.parseLong(line.substring(4));
          } else if (line.startsWith("data: ")) {
            events.add(new JsonObject(line.substring(6)));
          }
        }
      }
    }

    JsonObject next() throws InterruptedException {
      JsonObject event = events.poll(15, TimeUnit.SECONDS);
      assertThat(event).as("an event within the deadline").isNotNull();
      return event;
    }

    @Override
    public void close() {
      client.close().await();
    }
  }
}
