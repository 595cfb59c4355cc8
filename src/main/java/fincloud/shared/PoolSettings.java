package fincloud.shared;

/**
 * How the node's verticles reach PostgreSQL: the server ({@code FINCLOUD_PG_URL}, null until the
 * node knows it when it starts an embedded one) and the pool of the {@code database} section.
 *
 * @param poolSize connections of the node's shared pool
 * @param connectTimeoutMs a connection not made in this time fails
 * @param acquireTimeoutMs a query waiting this long for a free connection fails
 * @param waitQueue queries that may wait for a connection at once; past it they fail at once
 */
public record PoolSettings(String pgUrl, int poolSize, int connectTimeoutMs, int acquireTimeoutMs, int waitQueue) {

  public static PoolSettings from(ConfigSection root) {
    ConfigSection database = root.section("database");
    return new PoolSettings(root.optionalText("FINCLOUD_PG_URL"),
        database.integer("poolSize", 1, 1_000),
        database.integer("connectTimeoutMs", 1, 600_000),
        database.integer("acquireTimeoutMs", 1, 600_000),
        database.integer("poolWaitQueue", 1, 1_000_000));
  }

  /** The same pool on the server the node actually uses. */
  public PoolSettings at(String url) {
    return new PoolSettings(url, poolSize, connectTimeoutMs, acquireTimeoutMs, waitQueue);
  }
}
