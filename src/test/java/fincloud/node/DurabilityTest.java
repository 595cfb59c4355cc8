package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestSql;
import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded server keeps what it acknowledges (fsync, synchronous commit and full page writes
 * on), and the start-up check refuses a server that would not.
 */
class DurabilityTest {

  @Test
  void theEmbeddedServerIsDurable() throws Exception {
    String url = TestDatabase.serverUrl();
    for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
      assertThat(TestSql.rows(url, "SHOW " + setting).get(0).get(setting)).as(setting).isEqualTo("on");
    }
    assertThatCode(() -> DatabaseSettings.requireDurable(url)).doesNotThrowAnyException();
  }

  @Test
  void aServerWithTheLibraryDefaultsIsRefused(@TempDir Path dir) throws Exception {
    try (EmbeddedPostgres lax = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg"))
        .setCleanDataDirectory(true).start()) {
      String url = "postgresql://postgres:postgres@127.0.0.1:" + lax.getPort() + "/postgres";
      assertThat(TestSql.rows(url, "SHOW fsync").get(0).get("fsync")).as("the library's default").isEqualTo("off");
      assertThatThrownBy(() -> DatabaseSettings.requireDurable(url)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("fsync=off");
    }
  }

  @Test
  void asynchronousCommitIsRefusedAndLocalFlushAccepted() throws Exception {
    String url = TestDatabase.freshDatabase();
    String name = PgConnectOptions.fromUri(url).getDatabase();
    alter(name, "synchronous_commit = off");
    assertThatThrownBy(() -> DatabaseSettings.requireDurable(url)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("synchronous_commit=off");
    // Every other level waits for the local WAL flush before acknowledging a commit.
    for (String level : new String[] {"local", "remote_write", "remote_apply", "on"}) {
      alter(name, "synchronous_commit = " + level);
      assertThatCode(() -> DatabaseSettings.requireDurable(url)).as(level).doesNotThrowAnyException();
    }
  }

  private static void alter(String database, String setting) throws Exception {
    try (Connection connection = DatabaseSettings.connect(TestDatabase.serverUrl());
         Statement statement = connection.createStatement()) {
      statement.execute("ALTER DATABASE " + database + " SET " + setting);
    }
  }
}
