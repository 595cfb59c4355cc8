package fincloud.hostile;

import fincloud.shared.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What docs/contract.md promises about any answer, whatever was asked: no 5xx (the node is healthy, so not
 * even a 503), an X-Request-Id on everything the router saw, every refusal an RFC 9457 problem
 * with a code of docs/contract.md and the matching status (a 405 with its Allow header; except the HTTP server's own 414/431, and the
 * RFC 6749 errors of /oauth/token), and no resource of another tenant in a success.
 */
final class Contract {
  static final Set<String> CODES = Arrays.stream(ErrorCode.values()).map(Enum::name).collect(Collectors.toSet());
  static final Set<String> OAUTH_ERRORS = Set.of("invalid_request", "invalid_client", "invalid_grant",
      "unauthorized_client", "unsupported_grant_type", "invalid_scope", "slow_down", "temporarily_unavailable");
  static final Pattern SANE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");
  /** Fields of answers that name a resource (metadata, which the client wrote, is not looked into). */
  static final Set<String> RESOURCE_FIELDS = Set.of("id", "debitAccountId", "creditAccountId", "transferId",
      "accountId", "entityId");

  /** Which rules apply: the API's, the token endpoint's, or the operational routes'. */
  enum Kind { API, TOKEN, OPERATIONAL }

  private Contract() {
  }

  /**
   * @param tenant the caller's tenant when it sent a valid token, else null
   * @return what is wrong with the answer; empty when nothing
   */
  static List<String> violations(RawHttp.Request request, RawHttp.Response response, Kind kind, String tenant,
      HostileNode node) {
    List<String> wrong = new ArrayList<>();
    int status = response.status();
    if (status >= 500 || status < 100) {
      wrong.add("status " + status);
    }
    if (status == 414 || status == 431) {
      return wrong;
    }
    String requestId = response.header("X-Request-Id");
    if (requestId == null) {
      wrong.add("no X-Request-Id");
    }
    String asked = request.header("X-Request-Id");
    if (asked != null && SANE_REQUEST_ID.matcher(asked).matches() && !asked.equals(requestId)) {
      wrong.add("X-Request-Id " + asked + " not echoed (got " + requestId + ")");
    }
    boolean head = request.method().equals("HEAD");
    String type = String.valueOf(response.header("Content-Type"));
    if (status >= 400) {
      if (kind == Kind.TOKEN && type.startsWith("application/json")) {
        JsonObject body = json(response, wrong);
        if (body != null && !OAUTH_ERRORS.contains(body.getString("error"))) {
          wrong.add("not an RFC 6749 error: " + body.getValue("error"));
        }
        return wrong;
      }
      if (!type.startsWith("application/problem+json")) {
        wrong.add("a refusal that is not problem+json");
        return wrong;
      }
      if (status == 401 && response.header("WWW-Authenticate") == null) {
        wrong.add("401 without WWW-Authenticate");
      }
      if (status == 405 && (response.header("Allow") == null || response.header("Allow").isBlank())) {
        wrong.add("405 without Allow");
      }
      if ((status == 429 || status == 503) && response.header("Retry-After") == null) {
        wrong.add(status + " without Retry-After");
      }
      if (head) {
        return wrong;
      }
      JsonObject problem = json(response, wrong);
      if (problem == null) {
        return wrong;
      }
      String code = problem.getString("code");
      if (!CODES.contains(code)) {
        wrong.add("code " + code + " is not one of docs/contract.md");
      } else if (ErrorCode.valueOf(code).status() != status) {
        wrong.add("code " + code + " with status " + status);
      }
      if (!Integer.valueOf(status).equals(problem.getInteger("status"))) {
        wrong.add("problem status " + problem.getValue("status") + " for HTTP " + status);
      }
      boolean replayed = "true".equals(response.header("Idempotent-Replayed"));
      // A replay is the first answer again, body and its requestId included.
      if (requestId != null && !replayed && !requestId.equals(problem.getString("requestId"))) {
        wrong.add("problem requestId " + problem.getValue("requestId") + " is not the header's " + requestId);
      }
      for (String member : List.of("type", "title", "detail")) {
        if (!(problem.getValue(member) instanceof String)) {
          wrong.add("problem without a string " + member);
        }
      }
      return wrong;
    }
    String sentType = request.header("Content-Type");
    if (kind == Kind.API && request.body() != null && request.body().length > 0 && sentType != null
        && !sentType.split(";", 2)[0].trim().equalsIgnoreCase("application/json") && !request.method().equals("GET")) {
      wrong.add("a body of type " + RawHttp.cut(sentType, 60) + " was accepted");
    }
    if (kind == Kind.OPERATIONAL || head || status == 204) {
      return wrong;
    }
    if (type.startsWith("application/x-ndjson") || type.startsWith("text/event-stream")) {
      // The audit export and live stream: a record a line ("data: " before it in the stream); what
      // came of a stream may end inside a line.
      String text = response.bodyText();
      List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
      lines.remove(lines.size() - 1);
      for (String line : lines) {
        String record = line.startsWith("data:") ? line.substring(5).trim() : line.trim();
        if (!record.startsWith("{")) {
          continue;
        }
        try {
          if (tenant != null) {
            foreign(new JsonObject(record), tenant, node, wrong);
          }
        } catch (io.vertx.core.json.DecodeException notJson) {
          wrong.add("a streamed record that is not JSON: " + RawHttp.cut(record, 200));
        }
      }
      return wrong;
    }
    if (!type.startsWith("application/json")) {
      wrong.add("a " + status + " that is not JSON: " + type);
      return wrong;
    }
    JsonObject body = json(response, wrong);
    if (body == null) {
      return wrong;
    }
    if (kind == Kind.TOKEN) {
      if (!(body.getValue("access_token") instanceof String) || !"Bearer".equals(body.getString("token_type"))) {
        wrong.add("a token answer without a Bearer access_token");
      }
      return wrong;
    }
    if (tenant != null) {
      foreign(body, tenant, node, wrong);
    }
    return wrong;
  }

  /** Tenant fields and resource ids anywhere in an answer must all be the caller's. */
  private static void foreign(Object value, String tenant, HostileNode node, List<String> wrong) {
    if (value instanceof JsonObject object && object.containsKey("seq") && object.containsKey("prevHash")) {
      // An audit record of the caller's chain records what the caller asked, which may name ids it
      // does not own (its refused transfer from another tenant's account): only its chain must be the caller's.
      if (!tenant.equals(object.getValue("tenant"))) {
        wrong.add("an audit record of tenant " + object.getValue("tenant") + " in an answer to " + tenant);
      }
      return;
    }
    if (value instanceof JsonObject object) {
      object.forEach(e -> {
        if (e.getKey().equals("metadata")) {
          return;
        }
        if (e.getKey().equals("tenant") && !tenant.equals(e.getValue())) {
          wrong.add("tenant " + e.getValue() + " in an answer to " + tenant);
        } else if (RESOURCE_FIELDS.contains(e.getKey()) && e.getValue() instanceof String id) {
          String owner = node.tenantOf(id);
          if (owner != null && !owner.equals(tenant)) {
            wrong.add(e.getKey() + " " + id + " of " + owner + " in an answer to " + tenant);
          }
        } else {
          foreign(e.getValue(), tenant, node, wrong);
        }
      });
    } else if (value instanceof JsonArray array) {
      array.forEach(item -> foreign(item, tenant, node, wrong));
    }
  }

  private static JsonObject json(RawHttp.Response response, List<String> wrong) {
    try {
      return new JsonObject(response.bodyText());
    } catch (RuntimeException e) {
      wrong.add("a body that is not a JSON object");
      return null;
    }
  }
}
