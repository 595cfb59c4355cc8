package fincloud.node;

import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;

/** The schema, versioned in {@code src/main/resources/db/migration}. Blocking: main or a worker. */
public final class Migrations {
  private Migrations() {
  }

  public static void migrate(String pgUrl) {
    PgConnectOptions options = DatabaseSettings.credentials(pgUrl);
    Flyway.configure()
        .dataSource(DatabaseSettings.jdbcUrl(pgUrl), options.getUser(), options.getPassword())
        .locations("classpath:db/migration")
        .load()
        .migrate();
  }
}
