package fincloud.gateway;

import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bound on the bytes of request bodies one node holds at once ({@code gateway.bodyBudget}),
 * for the whole node ({@code nodeBytes}) and for each client ({@code clientBytes}). A request
 * with a body reserves what it declares (its Content-Length, or its route's limit when it is
 * chunked) once its token and scope are known, and keeps it until its answer is out or its
 * connection closed. Past the client's share it gets {@code 429 RATE_LIMITED}; past the node's,
 * {@code 503 UNAVAILABLE} — at once, before a byte of the body is read. Without it a client with a
 * valid token could open thousands of connections and send a megabyte body on each, slowly
 * enough to hold them all in memory: the in-flight bound counts requests, not bytes, and counts a
 * request only once its body is in. Counted by declared length, so that a body trickled one byte
 * a second reserves its whole size: slow bodies exhaust their client's share, not the node.
 */
final class BodyBudget {
  private final long nodeBytes;
  private final long clientBytes;
  private final AtomicLong held = new AtomicLong();
  private final Map<String, AtomicLong> heldByClient = new ConcurrentHashMap<>();

  /** @param bytes the {@code gateway.bodyBudget} settings (checked: largest route body <= client's <= node's) */
  BodyBudget(GatewaySettings.BodyBudgetBytes bytes) {
    nodeBytes = bytes.nodeBytes();
    clientBytes = bytes.clientBytes();
  }

  long heldBytes() {
    return held.get();
  }

  /** Reserves the request's body until its end; throws the refusal when a bound would be passed. */
  void reserve(RoutingContext ctx, ApiRoute route, String clientId) {
    long bytes = declared(ctx.request(), route.maxBodyBytes());
    if (bytes == 0) {
      return;
    }
    AtomicLong client = heldByClient.computeIfAbsent(clientId, id -> new AtomicLong());
    if (client.addAndGet(bytes) > clientBytes) {
      client.addAndGet(-bytes);
      throw new ServiceException(ErrorCode.RATE_LIMITED, "client " + clientId + " already sends " + clientBytes
          + " bytes of request bodies to this node at most; retry once some are answered");
    }
    if (held.addAndGet(bytes) > nodeBytes) {
      held.addAndGet(-bytes);
      client.addAndGet(-bytes);
      throw new ServiceException(ErrorCode.UNAVAILABLE, "the node holds its limit of request bodies; retry shortly");
    }
    ctx.addEndHandler(done -> {
      held.addAndGet(-bytes);
      client.addAndGet(-bytes);
    });
  }

  /** What the body may take: its Content-Length up to the route's limit (BodyHandler refuses more with 413). */
  private static long declared(HttpServerRequest request, int limit) {
    String length = request.getHeader("Content-Length");
    if (length == null) {
      return request.getHeader("Transfer-Encoding") == null ? 0 : limit;
    }
    try {
      return Math.min(Math.max(Long.parseLong(length.trim()), 0), limit);
    } catch (NumberFormatException malformed) {
      return limit;
    }
  }
}
