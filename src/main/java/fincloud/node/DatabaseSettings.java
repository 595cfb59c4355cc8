package fincloud.node;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import fincloud.shared.MultiHostUrl;
import io.vertx.pgclient.PgConnectOptions;

/**
 * Start-up checks of the database the money lives in. A server that acknowledges a commit before
 * it is on disk would let a crash lose acknowledged transfers, so such a server is refused.
 */
public final class DatabaseSettings {
  private DatabaseSettings() {
  }

  /**
   * Every server of a (multi-host) URL for JDBC, which connects to the primary among them; the
   * URL's other parameters (sslmode, sslrootcert) kept: see {@link MultiHostUrl}.
   */
  public static String jdbcUrl(String pgUrl) {
    return MultiHostUrl.parse(pgUrl).jdbcUrl();
  }

  public static Connection connect(String pgUrl) throws SQLException {
    PgConnectOptions options = credentials(pgUrl);
    Properties properties = new Properties();
    properties.setProperty("user", options.getUser());
    if (options.getPassword() != null) {
      properties.setProperty("password", options.getPassword());
    }
    return DriverManager.getConnection(jdbcUrl(pgUrl), properties);
  }

  /** User and password (the same for every server of a multi-host URL). */
  public static PgConnectOptions credentials(String pgUrl) {
    return MultiHostUrl.parse(pgUrl).connectOptions().get(0);
  }

  /** Blocking. Throws when fsync, synchronous_commit or full_page_writes is off. */
  public static void requireDurable(String pgUrl) throws SQLException {
    try (Connection connection = connect(pgUrl); Statement statement = connection.createStatement()) {
      for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
        try (ResultSet rs = statement.executeQuery("SHOW " + setting)) {
          rs.next();
          String value = rs.getString(1);
          // Every synchronous_commit level but off (local, remote_write, on, remote_apply) waits
          // for the local WAL flush before a commit is acknowledged.
          if (!value.equals("on") && !(setting.equals("synchronous_commit") && !value.equals("off"))) {
            throw new IllegalStateException("PostgreSQL has " + setting + "=" + value
                + ": an acknowledged transfer could be lost in a crash. Turn it on.");
          }
        }
      }
    }
  }
}
