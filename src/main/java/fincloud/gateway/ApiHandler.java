package fincloud.gateway;

import fincloud.shared.BusReply;
import fincloud.shared.CanonicalJson;
import fincloud.shared.ErrorCode;
import fincloud.shared.Page;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * One API request, in API.md's order of refusals: token (401), scope (403), media type (415),
 * body and parameters (400); then the owning service over the event bus, which answers the rest.
 */
final class ApiHandler {
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final Vertx vertx;
  private final RequestSchemas schemas;
  private final TokenVerifier verifier;
  private final AuthFailures authFailures = new AuthFailures();
  private final long timeoutMs;

  ApiHandler(Vertx vertx, JsonObject config, RequestSchemas schemas, TokenVerifier verifier) {
    this.vertx = vertx;
    this.schemas = schemas;
    this.verifier = verifier;
    this.timeoutMs = config.getLong("FINCLOUD_REQUEST_TIMEOUT_MS", 10_000L);
  }

  AuthFailures authFailures() {
    return authFailures;
  }

  void handle(RoutingContext ctx, ApiRoute route) {
    RequestContext caller;
    JsonObject message;
    try {
      TokenVerifier.Identity identity = authenticate(ctx);
      if (route.scopes().stream().noneMatch(identity.scopes()::contains)) {
        throw new ServiceException(ErrorCode.FORBIDDEN, "this route needs the scope "
            + String.join(" or ", route.scopes()));
      }
      JsonObject body = body(ctx, route);
      String key = idempotencyKey(ctx, route);
      JsonObject query = query(ctx, route);
      if (ctx.pathParams().values().stream().anyMatch(id -> id.indexOf('\u0000') >= 0)) {
        // No id the server gave holds U+0000 (nor can PostgreSQL store one): it names nothing.
        throw new ServiceException(ErrorCode.NOT_FOUND, "no such resource");
      }
      caller = new RequestContext(HttpAnswers.requestId(ctx), identity.tenant(), identity.clientId(),
          identity.scopes(), ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().host(),
          key, key == null ? null : requestHash(ctx, body));
      message = new JsonObject().put("path", new JsonObject(new java.util.HashMap<>(ctx.pathParams())))
          .put("query", query).put("body", body);
    } catch (ServiceException refusal) {
      HttpAnswers.send(ctx, refusal.toAnswer(HttpAnswers.requestId(ctx)));
      return;
    }
    vertx.eventBus().<JsonObject>request(route.address(), message, caller.toDeliveryOptions().setSendTimeout(timeoutMs))
        .onSuccess(reply -> HttpAnswers.send(ctx, BusReply.read(reply)))
        .onFailure(failure -> HttpAnswers.problem(ctx, ErrorCode.UNAVAILABLE, unavailable(failure)));
  }

  private TokenVerifier.Identity authenticate(RoutingContext ctx) {
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      throw new ServiceException(ErrorCode.UNAUTHENTICATED, "a Bearer token is required");
    }
    try {
      return verifier.verify(authorization.substring(7).trim());
    } catch (TokenVerifier.InvalidToken invalid) {
      authFailures.record(ctx, null, "invalid token: " + invalid.getMessage());
      ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      throw new ServiceException(ErrorCode.UNAUTHENTICATED, "the token is invalid or expired");
    }
  }

  private JsonObject body(RoutingContext ctx, ApiRoute route) {
    if (route.method() != io.vertx.core.http.HttpMethod.POST) {
      return null;
    }
    boolean empty = ctx.body().buffer() == null || ctx.body().length() <= 0;
    String type = ctx.request().getHeader("Content-Type");
    // The media type itself, without parameters: "application/jsonx" or "application/json-patch+json" is not JSON.
    boolean json = type != null && type.split(";", 2)[0].trim().equalsIgnoreCase("application/json");
    // BodyHandler decodes a form or multipart body into attributes and leaves no buffer: it was sent all the same
    // (ignoring it would, say, post a whole hold when the client asked for part of it).
    if (!json && (!empty || declaresBody(ctx.request()))) {
      throw new ServiceException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json");
    }
    if (empty && (route.schema() == null || schemas.acceptsEmpty(route.schema()))) {
      return new JsonObject();
    }
    JsonObject body = JsonBodies.parseObject(ctx.body().buffer());
    if (route.schema() == null) {
      body.fieldNames().stream().findFirst().ifPresent(field -> {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "unknown field '" + field + "'",
            new JsonObject().put("field", field));
      });
    } else {
      schemas.validate(route.schema(), body);
    }
    return body;
  }

  private static boolean declaresBody(io.vertx.core.http.HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    return request.getHeader("Transfer-Encoding") != null || (length != null && !length.trim().equals("0"));
  }

  private static String idempotencyKey(RoutingContext ctx, ApiRoute route) {
    String key = ctx.request().getHeader("Idempotency-Key");
    if (route.idempotency() == ApiRoute.Idempotency.NONE) {
      return null;
    }
    if (key == null && route.idempotency() == ApiRoute.Idempotency.REQUIRED) {
      throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the Idempotency-Key header is required",
          new JsonObject().put("field", "Idempotency-Key"));
    }
    if (key != null && !IDEMPOTENCY_KEY.matcher(key).matches()) {
      throw new ServiceException(ErrorCode.VALIDATION_FAILED,
          "Idempotency-Key must be 1 to 128 of A-Z a-z 0-9 . _ : -", new JsonObject().put("field", "Idempotency-Key"));
    }
    return key;
  }

  /** A key belongs to one request: the method, the path and the body as canonical JSON. */
  private static String requestHash(RoutingContext ctx, JsonObject body) {
    return CanonicalJson.sha256Hex(ctx.request().method() + " " + ctx.request().path() + "\n" + CanonicalJson.of(body));
  }

  private static JsonObject query(RoutingContext ctx, ApiRoute route) {
    JsonObject query = new JsonObject();
    if (!route.paged()) {
      return query;
    }
    try {
      ctx.request().params().forEach((name, value) -> {
        if (value.indexOf('\u0000') >= 0) {
          throw new ServiceException(ErrorCode.VALIDATION_FAILED, name + " must not contain U+0000",
              new JsonObject().put("field", name));
        }
      });
    } catch (IllegalArgumentException badEscape) {
      throw new ServiceException(ErrorCode.VALIDATION_FAILED, "the query string is not valid percent-encoding",
          new JsonObject().put("field", "query"));
    }
    String limit = ctx.request().getParam("limit");
    if (limit != null) {
      if (!limit.matches("[0-9]{1,4}") || Integer.parseInt(limit) < 1 || Integer.parseInt(limit) > Page.MAX_LIMIT) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "limit must be an integer from 1 to 1000",
            new JsonObject().put("field", "limit"));
      }
      query.put("limit", Integer.parseInt(limit));
    }
    String cursor = ctx.request().getParam("cursor");
    if (cursor != null) {
      String after = Page.decodeCursor(cursor);
      if (after == null) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "cursor is not one this API gave",
            new JsonObject().put("field", "cursor"));
      }
      query.put("after", after);
    }
    String accountId = ctx.request().getParam("accountId");
    if (accountId != null) {
      query.put("accountId", accountId);
    }
    return query;
  }

  private static String unavailable(Throwable failure) {
    if (failure instanceof ReplyException reply) {
      return switch (reply.failureType()) {
        case TIMEOUT -> "the service did not answer in time; retry (with the same Idempotency-Key for writes)";
        case NO_HANDLERS -> "no node runs the service for this route right now";
        default -> "the service failed";
      };
    }
    return "the service is unavailable";
  }
}
