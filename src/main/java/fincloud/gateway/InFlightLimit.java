package fincloud.gateway;

import fincloud.shared.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bound on the API requests one node works on at once ({@code gateway.maxInFlight}), counted
 * across all gateway instances: past it a request is refused with 503 at once, so that overload
 * shows as fast refusals, never as an unbounded queue or an OutOfMemoryError. A request counts
 * from the moment its body is in (a client sending its body slowly holds no slot: thousands of
 * them would otherwise refuse every other client) until its response has gone out or its
 * connection closed.
 */
final class InFlightLimit implements Handler<RoutingContext> {
  private final AtomicInteger inFlight = new AtomicInteger();
  private final int max;
  private final GatewayMetrics metrics;

  InFlightLimit(int max, GatewayMetrics metrics) {
    this.max = max;
    this.metrics = metrics;
    metrics.inFlight(inFlight);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (inFlight.incrementAndGet() > max) {
      inFlight.decrementAndGet();
      refuse(ctx);
      return;
    }
    ctx.addEndHandler(done -> inFlight.decrementAndGet());
    ctx.next();
  }

  /** Whether the node is at its bound now: a request that comes then is refused before its token costs a signature check. */
  boolean full() {
    return inFlight.get() >= max;
  }

  void refuse(RoutingContext ctx) {
    metrics.overloaded();
    HttpAnswers.problem(ctx, ErrorCode.UNAVAILABLE, "the node is working on its limit of " + max + " requests; retry shortly");
  }
}
