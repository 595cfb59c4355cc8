package fincloud.gateway;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/** Gives every request an id: the client's {@code X-Request-Id} when sane, else a new one. */
final class RequestIds implements Handler<RoutingContext> {
  static final String KEY = "requestId";
  static final String HEADER = "X-Request-Id";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

  @Override
  public void handle(RoutingContext ctx) {
    of(ctx);
    ctx.next();
  }

  /**
   * The request's id, given now if it has none yet: a request that matches no route at all (a
   * request target of {@code *}) reaches the error handlers without passing through this handler.
   */
  static String of(RoutingContext ctx) {
    String known = ctx.get(KEY);
    if (known != null) {
      return known;
    }
    String given = ctx.request().getHeader(HEADER);
    String id = given != null && SANE.matcher(given).matches() ? given : UUID.randomUUID().toString();
    ctx.put(KEY, id);
    ctx.response().putHeader(HEADER, id);
    return id;
  }
}
