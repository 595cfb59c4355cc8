package fincloud.shared;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.SqlConnectOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where a pool opens its next connection when the URL names several servers: the one that accepts
 * writes now (the primary of a failover pair), found by asking each server, the last primary first,
 * whether it is read-only. A pool asks again for every connection it opens, so that after a
 * failover (the old primary's connections closed by its crash or demotion) it reconnects to the
 * new primary by itself; while no server accepts writes, connecting fails, and readiness with it.
 * Callers that ask while a search is under way share its answer.
 */
public final class PrimaryLocator implements Supplier<Future<SqlConnectOptions>> {
  private final Vertx vertx;
  private final List<PgConnectOptions> servers;
  private final long probeTimeoutMs;
  private volatile int lastPrimary;
  private Future<SqlConnectOptions> search;

  /**
   * @param servers the servers in the URL's order, each with the options a pool connection needs
   * @param probeTimeoutMs how long one server may take to say whether it accepts writes
   */
  public PrimaryLocator(Vertx vertx, List<PgConnectOptions> servers, long probeTimeoutMs) {
    this.vertx = vertx;
    this.servers = List.copyOf(servers);
    this.probeTimeoutMs = probeTimeoutMs;
  }

  @Override
  public synchronized Future<SqlConnectOptions> get() {
    if (search == null) {
      List<Integer> order = new ArrayList<>();
      int first = lastPrimary;
      order.add(first);
      for (int i = 0; i < servers.size(); i++) {
        if (i != first) {
          order.add(i);
        }
      }
      search = firstWritable(order, 0, new ArrayList<>()).andThen(done -> finished());
    }
    return search;
  }

  private synchronized void finished() {
    search = null;
  }

  private Future<SqlConnectOptions> firstWritable(List<Integer> order, int at, List<String> refusals) {
    if (at == order.size()) {
      return Future.failedFuture(new ServiceException(ErrorCode.UNAVAILABLE,
          "no PostgreSQL server accepts writes: " + String.join("; ", refusals)));
    }
    int index = order.get(at);
    PgConnectOptions server = servers.get(index);
    return acceptsWrites(server).transform(probe -> {
      if (probe.succeeded() && probe.result()) {
        lastPrimary = index;
        return Future.succeededFuture(server);
      }
      refusals.add(server.getHost() + ":" + server.getPort() + " "
          + (probe.succeeded() ? "is read-only" : String.valueOf(probe.cause().getMessage())));
      return firstWritable(order, at + 1, refusals);
    });
  }

  /**
   * One short connection of its own, so that no pool connection is spent on the question; it is
   * closed once answered, even when the answer came too late to count.
   */
  private Future<Boolean> acceptsWrites(PgConnectOptions server) {
    return PgConnection.connect(vertx, server)
        .compose(connection -> connection.query("SHOW transaction_read_only").execute()
            .map(rows -> "off".equals(rows.iterator().next().getString(0)))
            .eventually(() -> connection.close()))
        .timeout(probeTimeoutMs, TimeUnit.MILLISECONDS);
  }
}
