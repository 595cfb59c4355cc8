package fincloud.gateway;

import fincloud.shared.CanonicalJson;
import fincloud.shared.ErrorCode;
import fincloud.shared.Page;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.regex.Pattern;

/**
 * The second phase of an API request, once {@link HeaderAdmission} has admitted it and the body
 * is in: media type (415), body and parameters (400), Idempotency-Key, path and query, into the
 * request as the service gets it ({@link ServiceRequest}). A refusal is a {@link ServiceException}.
 */
final class RequestParser {
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final RequestSchemas schemas;

  RequestParser(RequestSchemas schemas) {
    this.schemas = schemas;
  }

  /** The request for the route's service; a failed future carries the refusal. */
  Future<ServiceRequest> parse(RoutingContext ctx, ApiRoute route) {
    return Future.succeededFuture(HeaderAdmission.identity(ctx)).map(identity -> parse(ctx, route, identity));
  }

  private ServiceRequest parse(RoutingContext ctx, ApiRoute route, TokenVerifier.Identity identity) {
    JsonObject body = body(ctx, route);
    String key = idempotencyKey(ctx, route);
    RequestContext caller = new RequestContext(HttpAnswers.requestId(ctx), identity.tenant(), identity.clientId(),
        identity.scopes(), ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().host(),
        key, key == null ? null : requestHash(ctx, body), System.currentTimeMillis());
    return new ServiceRequest(caller, new JsonObject().put("path", pathParams(ctx))
        .put("query", query(ctx, route)).put("body", body));
  }

  private JsonObject body(RoutingContext ctx, ApiRoute route) {
    if (route.method() != HttpMethod.POST && route.method() != HttpMethod.PUT) {
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

  private static boolean declaresBody(HttpServerRequest request) {
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
    JsonObject path = new JsonObject(new HashMap<>(ctx.pathParams()));
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
      if (route.method() == HttpMethod.GET) {
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
}
