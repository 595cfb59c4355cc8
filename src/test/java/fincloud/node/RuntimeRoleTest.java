package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Least privilege: the role a node runs as may insert and read the audit tables, and nothing
 * more on them; the owner that migrated them may, and is told apart.
 */
class RuntimeRoleTest {

  @Test
  void theRuntimeRoleMayAppendToTheAuditTablesButNotRewriteThem() throws Exception {
    String ownerUrl = TestDatabase.freshDatabase();
    Path dataDir = Files.createTempDirectory("fincloud-runtime-role");
    String runtimeUrl = RuntimeRole.ofEmbedded(ownerUrl, dataDir);
    assertThat(RuntimeRole.ofEmbedded(ownerUrl, dataDir)).as("the same role and password again").isEqualTo(runtimeUrl);

    try (Connection connection = DatabaseSettings.connect(runtimeUrl);
        Statement statement = connection.createStatement()) {
      statement.execute("INSERT INTO audit_log (tenant, seq, at, action, success, data, prev_hash, hash, outbox_id)"
          + " VALUES ('t', 1, now(), 'ACCOUNT_OPENED', true, '{}', repeat('0', 64), repeat('1', 64), 1)");
      statement.execute("INSERT INTO audit_checkpoints (tenant, seq, hash, at, kid, jws)"
          + " VALUES ('t', 1, repeat('1', 64), now(), 'k', 'j')");
      statement.execute("INSERT INTO audit_outbox (tenant, actor, action, entity_type, entity_id, success, origin, request_id, data)"
          + " VALUES ('t', 'a', 'ACCOUNT_OPENED', 'account', 'x', true, 'o', 'r', '{}')");
      statement.execute("DELETE FROM audit_outbox WHERE tenant = 't'");
      for (String rewrite : List.of("UPDATE audit_log SET action = 'X'", "DELETE FROM audit_checkpoints",
          "TRUNCATE audit_log", "ALTER TABLE audit_log DISABLE TRIGGER ALL", "DROP TABLE audit_checkpoints",
          "SET session_replication_role = replica")) {
        assertThatThrownBy(() -> statement.execute(rewrite)).as(rewrite)
            .hasMessageMatching("(?s).*(permission denied|must be owner).*");
      }
    }
    assertThat(RuntimeRole.canRewriteAudit(runtimeUrl)).isFalse();
    assertThat(RuntimeRole.canRewriteAudit(ownerUrl)).as("the owner, a superuser here").isTrue();
  }
}
