package fincloud.shared;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.concurrent.TimeUnit;

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
    PgConnectOptions connect = DatabaseUrl.connectOptions(settings.pgUrl())
        .setCachePreparedStatements(true)
        .setPipeliningLimit(256)
        .setReconnectAttempts(0);
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
    return PgBuilder.pool().with(pool).with(transport).connectingTo(connect).using(vertx).build();
  }
}
