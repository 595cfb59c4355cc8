package fincloud.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;

/** Assertions on RFC 9457 answers as docs/contract.md (Conventions) shapes them. */
public final class Problems {
  private Problems() {
  }

  /**
   * Asserts a problem+json answer with this status and code whose {@code requestId} is the
   * response's {@code X-Request-Id}; answers its body.
   */
  public static JsonObject assertProblem(HttpResponse<Buffer> response, int status, String code) {
    JsonObject body = assertProblemBody(response, status, code);
    assertThat(body.getString("requestId")).as("requestId of %s", body).isEqualTo(response.getHeader("X-Request-Id"));
    return body;
  }

  /** Like {@link #assertProblem}, for a replayed answer (whose body keeps the first request's id). */
  public static JsonObject assertProblemBody(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as("status of %s", response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).as("content type").startsWith("application/problem+json");
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getString("code")).as("code of %s", body).isEqualTo(code);
    assertThat(body.getInteger("status")).isEqualTo(status);
    assertThat(body.getString("type")).isNotBlank();
    assertThat(body.getString("title")).isNotBlank();
    assertThat(body.getString("detail")).isNotBlank();
    assertThat(response.getHeader("X-Request-Id")).isNotBlank();
    return body;
  }
}
