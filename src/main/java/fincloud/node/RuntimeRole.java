package fincloud.node;

import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database role a node runs as, apart from the one that migrates. The migrations
 * (V10__runtime_role.sql) give {@code fincloud_runtime} what the node needs and no more on the
 * audit tables: insert and select, never update, delete, truncate, alter or drop. With the embedded
 * database the node creates its login role in it itself; on a server the operator does (README).
 * Blocking: main or a worker.
 */
public final class RuntimeRole {
  static final String LOGIN_ROLE = "fincloud_node";
  private static final String PASSWORD_FILE = "postgres-runtime.password";
  private static final Logger LOG = LoggerFactory.getLogger(RuntimeRole.class);

  private RuntimeRole() {
  }

  /**
   * Creates (or updates) the embedded database's login role for the node, a member of
   * {@code fincloud_runtime}, and answers its URL.
   *
   * @param ownerUrl the embedded database as its owner, who migrated it
   */
  public static String ofEmbedded(String ownerUrl, Path dataDir) throws SQLException, IOException {
    String password = password(dataDir.resolve(PASSWORD_FILE));
    try (Connection connection = DatabaseSettings.connect(ownerUrl);
        Statement statement = connection.createStatement()) {
      statement.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + LOGIN_ROLE + "') THEN"
          + " CREATE ROLE " + LOGIN_ROLE + " LOGIN; END IF; END $$");
      statement.execute("ALTER ROLE " + LOGIN_ROLE + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '"
          + password + "'");
      statement.execute("GRANT fincloud_runtime TO " + LOGIN_ROLE);
    }
    PgConnectOptions owner = PgConnectOptions.fromUri(ownerUrl);
    return "postgresql://" + LOGIN_ROLE + ":" + password + "@" + owner.getHost() + ":" + owner.getPort() + "/"
        + owner.getDatabase();
  }

  /** One boolean: whether the session's role could rewrite the audit tables. */
  static final String CAN_REWRITE_AUDIT = """
      SELECT r.rolsuper OR pg_has_role(current_user, t.tableowner, 'MEMBER')
        OR has_table_privilege(current_user, 'audit_log', 'UPDATE, DELETE, TRUNCATE')
        OR has_table_privilege(current_user, 'audit_checkpoints', 'UPDATE, DELETE, TRUNCATE')
      FROM pg_roles r, pg_tables t
      WHERE r.rolname = current_user AND t.schemaname = 'public' AND t.tablename = 'audit_log'""";

  /**
   * Whether the role of {@code pgUrl} could rewrite the audit tables (a superuser, their owner,
   * or a role granted update, delete or truncate): the node still runs, and says so.
   */
  public static boolean canRewriteAudit(String pgUrl) throws SQLException {
    try (Connection connection = DatabaseSettings.connect(pgUrl); Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(CAN_REWRITE_AUDIT)) {
      return row.next() && row.getBoolean(1);
    }
  }

  /** Logs at start when the node's role could rewrite the audit history. */
  public static boolean warnIfPrivileged(String pgUrl) {
    try {
      if (canRewriteAudit(pgUrl)) {
        LOG.warn("the database role of FINCLOUD_PG_URL may update, delete, alter or drop the audit tables: run"
            + " the node as a member of fincloud_runtime and the migrations as the owner"
            + " (FINCLOUD_PG_MIGRATION_URL); see README, Least privilege");
        return true;
      }
      return false;
    } catch (SQLException e) {
      LOG.warn("cannot check the privileges of the node's database role: {}", e.toString());
      return true;
    }
  }

  private static String password(Path file) throws IOException {
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String password = HexFormat.of().formatHex(random);
    Files.writeString(file, password, StandardCharsets.UTF_8);
    return password;
  }
}
