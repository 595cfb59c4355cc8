package fincloud.shared;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The node's connection pool to PostgreSQL, shared by all verticles of the node (one pool, named,
 * closed when the last verticle using it is undeployed).
 */
public final class DatabasePool {
  private DatabasePool() {
  }

  public static Pool create(Vertx vertx, PoolSettings settings) {
    return create(vertx, settings, "fincloud-ledger", settings.poolSize());
  }

  /**
   * A pool of its own, shared by the verticles that ask for the same {@code name}: for a service
   * whose few queries must not wait behind the ledger's (risk's rule-set checks).
   */
  public static Pool create(Vertx vertx, PoolSettings settings, String name, int maxSize) {
    NetClientOptions transport = new NetClientOptions()
        .setConnectTimeout(settings.connectTimeoutMs())
        .setTcpNoDelay(true);
    PoolOptions pool = new PoolOptions()
        .setShared(true)
        .setName(name)
        .setMaxSize(maxSize)
        .setMaxWaitQueueSize(settings.waitQueue())
        .setConnectionTimeout(settings.acquireTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    Supplier<Future<SqlConnectOptions>> servers = servers(vertx, settings.pgUrl(), settings.connectTimeoutMs(),
        connect -> connect.setCachePreparedStatements(true).setPipeliningLimit(256).setReconnectAttempts(0));
    return PgBuilder.pool().with(pool).with(transport).connectingTo(servers).using(vertx).build();
  }

  /**
   * Where a pool opens each connection: the URL's one server, or, when it names several or asks for
   * a writable one ({@link MultiHostUrl}), the server that accepts writes now ({@link PrimaryLocator}).
   *
   * @param tuning what the pool's connections need on top of the URL's options
   */
  public static Supplier<Future<SqlConnectOptions>> servers(Vertx vertx, String pgUrl, long probeTimeoutMs,
      UnaryOperator<PgConnectOptions> tuning) {
    MultiHostUrl url = MultiHostUrl.parse(pgUrl);
    List<PgConnectOptions> servers = url.connectOptions().stream().map(tuning).toList();
    if (servers.size() == 1 && !url.writableOnly()) {
      Future<SqlConnectOptions> only = Future.succeededFuture(servers.get(0));
      return () -> only;
    }
    return new PrimaryLocator(vertx, servers, probeTimeoutMs);
  }

  /**
   * Completes when the pool reaches a server that accepts writes: a standby (or a primary the
   * engine demoted) still answers queries, but the node cannot move money through it.
   */
  public static Future<Void> writable(Pool pool) {
    return pool.query("SHOW transaction_read_only").execute().compose(rows ->
        "off".equals(rows.iterator().next().getString(0)) ? Future.succeededFuture()
            : Future.failedFuture("the database server is read-only (a standby): no primary"));
  }
}
