package fincloud.gateway;

import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * The first phase of an API request, on the headers alone, in the order of refusals of
 * docs/contract.md (Refusal order): room in the node's work bound, who calls (token, 401), whether
 * they may now (rate limit, 429) and may at all (scope, 403), and room for the body ({@link BodyBudget}). The body waits, paused, for the
 * verdict: a request refused here has its body dropped as it arrives, never buffered, so that a
 * client without a valid token cannot make the node hold memory or wait for bytes on its behalf.
 * Run by {@link HeaderAuthorization}; the caller it admits is {@link #identity} for the next phases.
 */
final class HeaderAdmission {
  private static final String IDENTITY = "fincloud.identity";

  private final TokenVerifier verifier;
  private final GatewayGuards guards;
  private final AuthFailures authFailures;
  private final FailureAnswers failures;

  HeaderAdmission(TokenVerifier verifier, GatewayGuards guards, AuthFailures authFailures, FailureAnswers failures) {
    this.verifier = verifier;
    this.guards = guards;
    this.authFailures = authFailures;
    this.failures = failures;
  }

  /** The caller admitted by {@link #admit}. */
  static TokenVerifier.Identity identity(RoutingContext ctx) {
    return ctx.get(IDENTITY);
  }

  /** Admits the request to the next handler of its route, or answers its refusal. */
  void admit(RoutingContext ctx, ApiRoute route) {
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
        .onFailure(refused -> HttpAnswers.send(ctx, failures.answer(ctx, refused)));
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

  /** In docs/contract.md's refusal order after the token: rate limit, then scope; then room for the body. */
  private TokenVerifier.Identity authorized(RoutingContext ctx, ApiRoute route, TokenVerifier.Identity identity) {
    RequestTelemetry.caller(ctx, identity.tenant(), identity.clientId());
    long wait = guards.rateLimits().secondsToWait(identity.clientId());
    if (wait > 0) {
      guards.metrics().rateLimited();
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      throw new ServiceException(ErrorCode.RATE_LIMITED, "client " + identity.clientId() + " is over its limit of "
          + guards.rateLimits().describe(identity.clientId()));
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
}
