package fincloud.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.pgclient.PgConnectOptions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy in front of PostgreSQL that a test can cut (every connection closed, new
 * ones closed as soon as they arrive, as when the database host goes away) and restore. Runs on a
 * Vert.x of its own, so that the node's event loops do not carry it.
 */
final class PgProxy {
  private final Vertx vertx = Vertx.vertx();
  private final NetClient client = vertx.createNetClient();
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private final String targetHost;
  private final int targetPort;
  private final NetServer server;
  private volatile boolean cut;

  private PgProxy(String pgUrl) {
    PgConnectOptions target = PgConnectOptions.fromUri(pgUrl);
    targetHost = target.getHost();
    targetPort = target.getPort();
    server = vertx.createNetServer().connectHandler(this::accept).listen(0, "127.0.0.1").await();
  }

  static PgProxy start(String pgUrl) {
    return new PgProxy(pgUrl);
  }

  /** The same database, reached through the proxy. */
  String url(String pgUrl) {
    return pgUrl.replace("127.0.0.1:" + targetPort, "127.0.0.1:" + server.actualPort());
  }

  void cut() {
    cut = true;
    open.forEach(NetSocket::close);
  }

  void restore() {
    cut = false;
  }

  void close() {
    vertx.close().await();
  }

  private void accept(NetSocket downstream) {
    if (cut) {
      downstream.close();
      return;
    }
    downstream.pause();
    client.connect(targetPort, targetHost).onComplete(done -> {
      if (done.failed() || cut) {
        downstream.close();
        if (done.succeeded()) {
          done.result().close();
        }
        return;
      }
      NetSocket upstream = done.result();
      open.add(downstream);
      open.add(upstream);
      downstream.closeHandler(v -> {
        open.remove(downstream);
        upstream.close();
      });
      upstream.closeHandler(v -> {
        open.remove(upstream);
        downstream.close();
      });
      downstream.pipeTo(upstream);
      upstream.pipeTo(downstream);
    });
  }
}
