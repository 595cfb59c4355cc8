package fincloud.gateway;

import fincloud.bus.BusReply;
import fincloud.shared.Answer;
import fincloud.shared.CanonicalJson;
import fincloud.shared.ErrorCode;
import fincloud.shared.Page;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import fincloud.shared.StageTimes;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One API request, in API.md's order of refusals: token (401), rate limit (429), scope (403) —
 * {@link #authorize}, before the body is read — then media type (415), body and parameters (400);
 * then the owning service over the event bus, through its circuit breaker (503 at once while it is
 * open), which answers the rest.
 */
final class ApiHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final String IDENTITY = "fincloud.identity";

  /** A request that passed the gateway's checks: who asks, and the path, query and body for the service. */
  record Admitted(RequestContext caller, JsonObject message) {
  }

  private final RequestSchemas schemas;
  private final TokenVerifier verifier;
  private final GatewayGuards guards;
  private final AuthFailures authFailures;
  private final long callTimeoutMs;
  private final BusRequests requests;

  ApiHandler(Vertx vertx, JsonObject config, RequestSchemas schemas, TokenVerifier verifier, GatewayGuards guards,
      AuthFailures authFailures) {
    this.schemas = schemas;
    this.verifier = verifier;
    this.guards = guards;
    this.authFailures = authFailures;
    this.callTimeoutMs = GatewayGuards.callTimeoutMs(config);
    this.requests = new BusRequests(vertx, config);
  }

  long timeoutMs() {
    return callTimeoutMs;
  }

  AuthFailures authFailures() {
    return authFailures;
  }

  void handle(RoutingContext ctx, ApiRoute route) {
    admit(ctx, route)
        .compose(request -> forward(ctx, route, request))
        .recover(failure -> Future.succeededFuture(refusal(ctx, failure)))
        .onSuccess(answer -> {
          guards.metrics().transfers(route, answer);
          HttpAnswers.send(ctx, answer);
        });
  }

  /**
   * First handler of every API route: who calls (token), whether they may now (rate limit) and may
   * at all (scope), and room for the body ({@link BodyBudget}), decided on the headers alone. The
   * body waits, paused, for the verdict: a request refused here has its body dropped as it
   * arrives, never buffered, so that a client without a valid token cannot make the node hold
   * memory or wait for bytes on its behalf.
   */
  void authorize(RoutingContext ctx, ApiRoute route) {
    ctx.put(RequestTelemetry.ROUTE, route.path());
    if (guards.inFlight().full()) {
      guards.inFlight().refuse(ctx);
      return;
    }
    if (route.readsBody()) {
      HttpServerRequest request = ctx.request();
      request.pause(); // resumed by BodyHandler
      // Any answer before the body is all read (this refusal, BodyHandler's 413): the rest, with
      // no data handler, is dropped as it comes, so that the connection can carry the next request.
      ctx.addHeadersEndHandler(answering -> request.resume());
    }
    authenticate(ctx).map(identity -> authorized(ctx, route, identity))
        .onSuccess(identity -> {
          ctx.put(IDENTITY, identity);
          ctx.next();
        })
        .onFailure(refused -> HttpAnswers.send(ctx, refusal(ctx, refused)));
  }

  /** The checks that need the body, after {@link #authorize}; a failed future carries the refusal ({@link #refusal}). */
  Future<Admitted> admit(RoutingContext ctx, ApiRoute route) {
    return Future.succeededFuture(ctx.<TokenVerifier.Identity>get(IDENTITY)).map(identity -> admit(ctx, route, identity));
  }

  private Future<TokenVerifier.Identity> authenticate(RoutingContext ctx) {
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      return Future.failedFuture(new ServiceException(ErrorCode.UNAUTHENTICATED, "a Bearer token is required"));
    }
    return verifier.verify(authorization.substring(7).trim()).recover(invalid -> {
      authFailures.record(ctx, null, "invalid token: " + invalid.getMessage());
      ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return Future.failedFuture(new ServiceException(ErrorCode.UNAUTHENTICATED, "the token is invalid or expired"));
    });
  }

  /** In API.md's order after the token: rate limit, then scope; then room for the body. */
  private TokenVerifier.Identity authorized(RoutingContext ctx, ApiRoute route, TokenVerifier.Identity identity) {
    RequestTelemetry.caller(ctx, identity.tenant(), identity.clientId());
    long wait = guards.rateLimits().secondsToWait(identity.clientId());
    if (wait > 0) {
      guards.metrics().rateLimited();
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      throw new ServiceException(ErrorCode.RATE_LIMITED, "client " + identity.clientId() + " is over its limit of "
          + guards.rateLimits().describe(identity.clientId()) + " on this node");
    }
    if (route.scopes().stream().noneMatch(identity.scopes()::contains)) {
      throw new ServiceException(ErrorCode.FORBIDDEN, "this route needs the scope "
          + String.join(" or ", route.scopes()));
    }
    if (route.readsBody()) {
      guards.bodies().reserve(ctx, route, identity.clientId());
    }
    return identity;
  }

  /** Media type, body, Idempotency-Key, path and query: the request as the service gets it. */
  private Admitted admit(RoutingContext ctx, ApiRoute route, TokenVerifier.Identity identity) {
    JsonObject body = body(ctx, route);
    String key = idempotencyKey(ctx, route);
    RequestContext caller = new RequestContext(HttpAnswers.requestId(ctx), identity.tenant(), identity.clientId(),
        identity.scopes(), ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().host(),
        key, key == null ? null : requestHash(ctx, body), System.currentTimeMillis());
    return new Admitted(caller, new JsonObject().put("path", pathParams(ctx))
        .put("query", query(ctx, route)).put("body", body));
  }

  /** Over the event bus, through the breaker of the route's service. */
  private Future<Answer> forward(RoutingContext ctx, ApiRoute route, Admitted request) {
    long sent = System.nanoTime();
    boolean retriable = route.method() == io.vertx.core.http.HttpMethod.GET || request.caller().idempotencyKey() != null;
    return guards.breakers().call(route.address(), () ->
            requests.request(route.address(), request.message(), request.caller().toDeliveryOptions(), retriable))
        .map(reply -> {
          RequestTelemetry.downstream(ctx, System.nanoTime() - sent, reply.headers().get(StageTimes.HEADER));
          return BusReply.read(reply);
        });
  }

  Answer refusal(RoutingContext ctx, Throwable failure) {
    String requestId = HttpAnswers.requestId(ctx);
    if (failure instanceof ServiceException refusal) {
      return refusal.toAnswer(requestId);
    }
    if (failure instanceof OpenCircuitException) {
      ctx.response().putHeader("Retry-After", Long.toString(guards.breakers().retryAfterSeconds()));
      return Answer.problem(ErrorCode.UNAVAILABLE, "the service behind this route is failing; its circuit breaker is "
          + "open, retry after " + guards.breakers().retryAfterSeconds() + " s", requestId);
    }
    if (!(failure instanceof ReplyException) && !(failure instanceof io.vertx.circuitbreaker.TimeoutException)) {
      LOG.error("request {} failed in the gateway", requestId, failure);
    }
    return Answer.problem(ErrorCode.UNAVAILABLE, unavailable(failure), requestId);
  }

  private JsonObject body(RoutingContext ctx, ApiRoute route) {
    if (route.method() != io.vertx.core.http.HttpMethod.POST && route.method() != io.vertx.core.http.HttpMethod.PUT) {
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

  /** Ids are made by the server; one with U+0000 (which PostgreSQL cannot even compare) names nothing. */
  private static JsonObject pathParams(RoutingContext ctx) {
    JsonObject path = new JsonObject(new java.util.HashMap<>(ctx.pathParams()));
    path.forEach(param -> {
      if (String.valueOf(param.getValue()).indexOf('\0') >= 0) {
        throw new ServiceException(ErrorCode.NOT_FOUND, "no such " + param.getKey());
      }
    });
    return path;
  }

  private static JsonObject query(RoutingContext ctx, ApiRoute route) {
    JsonObject query = new JsonObject();
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
    if (!route.paged()) {
      // Reads that page otherwise (the audit log, by seq) or filter take their parameters as sent,
      // first value of each; the service validates them.
      if (route.method() == io.vertx.core.http.HttpMethod.GET) {
        ctx.queryParams().forEach(param -> {
          if (!query.containsKey(param.getKey())) {
            query.put(param.getKey(), param.getValue());
          }
        });
      }
      return query;
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
      if (accountId.indexOf('\0') >= 0) {
        throw new ServiceException(ErrorCode.VALIDATION_FAILED, "accountId contains the NUL character",
            new JsonObject().put("field", "accountId"));
      }
      query.put("accountId", accountId);
    }
    return query;
  }

  static String unavailable(Throwable failure) {
    if (failure instanceof io.vertx.circuitbreaker.TimeoutException) {
      return "the service did not answer in time; retry (with the same Idempotency-Key for writes)";
    }
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
