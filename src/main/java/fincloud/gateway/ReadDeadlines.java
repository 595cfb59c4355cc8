package fincloud.gateway;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Deadlines for reading requests, against slow clients (slowloris): a new connection must deliver
 * its first request's headers within {@code gateway.requestReadTimeoutMs}, and each request's body
 * must be complete within that time of its headers; a kept-alive connection must deliver its next
 * request's headers within {@code gateway.idleTimeoutSeconds} of the previous response. Otherwise
 * the connection is closed, without an answer. The server's idle timeout alone closes only silent
 * connections: one byte a second keeps a connection from being idle forever, and a body read that
 * slowly would hold one of the node's in-flight slots ({@code gateway.maxInFlight}) all that time,
 * so that a few thousand such connections would refuse every other client.
 *
 * <p>One instance per gateway verticle, used on its event loop only. The server speaks HTTP/1.1
 * (no ALPN), where closing the connection ends exactly the one request on it.
 */
final class ReadDeadlines implements Handler<RoutingContext> {
  private final Vertx vertx;
  private final long readMs;
  private final long keepAliveMs;
  /** The pending deadline timer of each open connection (-1: none, a request is being answered). */
  private final Map<HttpConnection, Long> timers = new IdentityHashMap<>();

  ReadDeadlines(Vertx vertx, long readMs, long keepAliveMs) {
    this.vertx = vertx;
    this.readMs = readMs;
    this.keepAliveMs = keepAliveMs;
  }

  /** For the server's connection handler: the first request's headers are due. */
  void connected(HttpConnection connection) {
    timers.put(connection, closeAfter(connection, readMs));
    connection.closeHandler(closed -> cancel(timers.remove(connection)));
  }

  /** First handler of every request: its headers arrived; its body is due, then the next request after the answer. */
  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpConnection connection = request.connection();
    if (timers.containsKey(connection)) {
      cancel(timers.put(connection, -1L));
      if (!request.isEnded()) {
        long bodyDue = vertx.setTimer(readMs, fired -> {
          if (!request.isEnded()) {
            connection.close();
          }
        });
        ctx.addEndHandler(done -> vertx.cancelTimer(bodyDue));
      }
      ctx.addEndHandler(done -> {
        if (timers.containsKey(connection)) {
          timers.put(connection, closeAfter(connection, keepAliveMs));
        }
      });
    }
    ctx.next();
  }

  private long closeAfter(HttpConnection connection, long ms) {
    return vertx.setTimer(ms, fired -> connection.close());
  }

  private void cancel(Long timer) {
    if (timer != null && timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
