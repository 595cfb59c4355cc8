package fincloud.gateway;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;

/**
 * The first handler of an API route: token, rate limit and scope, decided on the headers before a
 * byte of the body is read ({@link HeaderAdmission}). Marked a {@link PlatformHandler} only so
 * that Vert.x Web, which orders a route's handlers platform, security policy, body, authentication,
 * user, lets it run before BodyHandler; it pauses the request meanwhile, as Vert.x asks of an
 * asynchronous handler that runs before BodyHandler.
 */
record HeaderAuthorization(HeaderAdmission admission, ApiRoute route) implements PlatformHandler {
  @Override
  public void handle(RoutingContext ctx) {
    admission.admit(ctx, route);
  }
}
