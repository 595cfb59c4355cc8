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
 * the connection is closed (without an answer, unless one was given before the body was all
 * read). The server's idle timeout alone closes only silent connections: one byte a second keeps
 * a connection from being idle for ever, holding a file descriptor and a buffer.
 *
 * <p>One instance per gateway verticle, used on its event loop only. The server speaks HTTP/1.1
 * (no ALPN), where closing the connection ends exactly the one request on it.
 */
final class ReadDeadlines implements Handler<RoutingContext> {
  /** A connection's pending deadline, and how many of its requests are being answered. */
  private static final class Deadline {
    long timer = -1;
    int answering;
  }

  private final Vertx vertx;
  private final long readMs;
  private final long keepAliveMs;
  private final Map<HttpConnection, Deadline> connections = new IdentityHashMap<>();

  ReadDeadlines(Vertx vertx, long readMs, long keepAliveMs) {
    this.vertx = vertx;
    this.readMs = readMs;
    this.keepAliveMs = keepAliveMs;
  }

  /** For the server's connection handler: the first request's headers are due. */
  void connected(HttpConnection connection) {
    Deadline deadline = new Deadline();
    connections.put(connection, deadline);
    due(connection, deadline, readMs);
    connection.closeHandler(closed -> {
      connections.remove(connection);
      vertx.cancelTimer(deadline.timer);
    });
  }

  /** First handler of every request: its headers arrived; its body is due, then the next request after the answer. */
  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpConnection connection = request.connection();
    Deadline deadline = connections.get(connection);
    if (deadline != null) {
      vertx.cancelTimer(deadline.timer);
      deadline.answering++;
      if (!request.isEnded()) {
        long bodyDue = vertx.setTimer(readMs, fired -> {
          if (!request.isEnded()) {
            connection.close();
          }
        });
        // Held until the body is in, not until the answer: a request answered before its body was
        // all read (a refused token, say) does not get to trickle the rest.
        request.end().onComplete(ended -> vertx.cancelTimer(bodyDue));
      }
      // End handlers run after the response has gone, possibly after the next request on the
      // connection has already arrived: the wait for a next request starts only once none is left.
      ctx.addEndHandler(done -> {
        if (--deadline.answering == 0 && connections.containsKey(connection)) {
          due(connection, deadline, keepAliveMs);
        }
      });
    }
    ctx.next();
  }

  private void due(HttpConnection connection, Deadline deadline, long ms) {
    vertx.cancelTimer(deadline.timer);
    deadline.timer = vertx.setTimer(ms, fired -> {
      if (deadline.answering == 0) {
        connection.close();
      }
    });
  }
}
