package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.TestClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reading the audit log over HTTP in tests: whole chains, and how long to wait for them. */
final class AuditReads {
  /** How long a test waits for the sealer: it seals within about a second. */
  static final Duration DEADLINE = Duration.ofSeconds(15);

  private AuditReads() {
  }

  /** Every record of the reader's chain (or of the one {@code query} names), following nextAfter. */
  static List<JsonObject> all(TestClient http, String reader, String query) {
    List<JsonObject> records = new ArrayList<>();
    Long after = 0L;
    while (after != null) {
      HttpResponse<Buffer> page = http.get(reader, "/v1/audit/events?limit=1000&after=" + after + query);
      assertThat(page.statusCode()).as(page.bodyAsString()).isEqualTo(200);
      page.bodyAsJsonObject().getJsonArray("items").forEach(item -> records.add((JsonObject) item));
      after = page.bodyAsJsonObject().getLong("nextAfter");
    }
    return records;
  }
}
