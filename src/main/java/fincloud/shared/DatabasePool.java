package fincloud.shared;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/**
 * The node's connection pool to PostgreSQL, shared by all verticles of the node (one pool, named,
 * closed when the last verticle using it is undeployed).
 */
public final class DatabasePool {
  private DatabasePool() {
  }

  public static Pool create(Vertx vertx, JsonObject config) {
    JsonObject database = config.getJsonObject("database", new JsonObject());
    return create(vertx, config, "fincloud-ledger", database.getInteger("poolSize", 16));
  }

  /**
   * A pool of its own, shared by the verticles that ask for the same {@code name}: for a service
   * whose few queries must not wait behind the ledger's (risk's rule-set checks).
   */
  public static Pool create(Vertx vertx, JsonObject config, String name, int maxSize) {
    JsonObject database = config.getJsonObject("database", new JsonObject());
    PgConnectOptions connect = PgConnectOptions.fromUri(config.getString("FINCLOUD_PG_URL"))
        .setCachePreparedStatements(true)
        .setPipeliningLimit(256)
        .setReconnectAttempts(0);
    NetClientOptions transport = new NetClientOptions()
        .setConnectTimeout(database.getInteger("connectTimeoutMs", 3000))
        .setTcpNoDelay(true);
    PoolOptions pool = new PoolOptions()
        .setShared(true)
        .setName(name)
        .setMaxSize(maxSize)
        .setMaxWaitQueueSize(database.getInteger("poolWaitQueue", 4096))
        .setConnectionTimeout(database.getInteger("acquireTimeoutMs", 5000))
        .setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
    return PgBuilder.pool().with(pool).with(transport).connectingTo(connect).using(vertx).build();
  }
}
