package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.TestClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Reading the audit log over HTTP in tests: whole chains, and polling with a generous deadline. */
final class AuditReads {
  private AuditReads() {
  }

  /** Reads until {@code until} holds or 15 seconds have passed; the last value read. */
  static <T> T poll(Supplier<T> read, Predicate<T> until) {
    long deadline = System.currentTimeMillis() + 15_000;
    T value = read.get();
    while (!until.test(value) && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      value = read.get();
    }
    return value;
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
