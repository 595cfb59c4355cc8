package fincloud.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.node.DatabaseSettings;
import fincloud.testkit.TestSql;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The first case on two node JVMs: a node frozen (SIGSTOP) inside the ledger transaction
 * of a transfer, its Idempotency-Key taken, while the client retries the key on the other node.
 * To freeze it there, the test holds a lock on the audit outbox (the transaction's last insert)
 * until the node's transaction waits for it, then freezes the node and lets the lock go. Every
 * retry meanwhile is told to try again (409 IDEMPOTENCY_IN_FLIGHT or 503), never refused and
 * never given another transfer; after SIGCONT the frozen node commits, and the retry gets that
 * transfer, the only one with the key.
 */
class FrozenTransactionIT {
  private static final Duration BOOT = Duration.ofSeconds(150);

  @Test
  @Timeout(600)
  void aRetryWhileTheKeyIsInAFrozenTransactionIsToldToWaitThenGetsTheCommittedTransfer() throws Exception {
    try (ClusterHarness cluster = new ClusterHarness(new JsonObject())) {
      NodeProcess frozen = cluster.node("node1", "all", Map.of());
      NodeProcess other = cluster.node("node2", "all", Map.of());
      ClusterHarness.startAll(List.of(frozen, other), BOOT);
      String teller = Api.token(other, "acme-teller");
      String admin = Api.token(other, "acme-admin");
      String bank = Api.openAccount(other, admin, new JsonObject().put("currency", "EUR").put("allowNegative", true));
      String alice = Api.openAccount(other, teller, new JsonObject().put("currency", "EUR"));
      String bob = Api.openAccount(other, teller, new JsonObject().put("currency", "EUR"));
      Api.transfer(other, teller, bank, alice, 5_000, "EUR");
      String key = UUID.randomUUID().toString();
      JsonObject transfer = new JsonObject().put("debitAccountId", alice).put("creditAccountId", bob)
          .put("amount", 1_234).put("currency", "EUR").put("reference", key);

      try (Connection holder = DatabaseSettings.connect(cluster.pgUrl); Statement sql = holder.createStatement()) {
        holder.setAutoCommit(false);
        sql.execute("LOCK TABLE audit_outbox IN SHARE ROW EXCLUSIVE MODE");
        Thread first = new Thread(() -> {
          try {
            Api.post(frozen, teller, "/v1/transfers", transfer, key);
          } catch (RuntimeException lostWithTheFrozenNode) {
            // the client's first attempt times out: it retries elsewhere below
          }
        });
        first.setDaemon(true);
        first.start();
        awaitWaitingInsert(cluster.pgUrl);
        frozen.signal("STOP");
        holder.commit();
      }

      List<String> whileFrozen = new ArrayList<>();
      long frozenAt = System.nanoTime();
      while (System.nanoTime() - frozenAt < Duration.ofSeconds(8).toNanos()) {
        Api.Reply reply = Api.post(other, teller, "/v1/transfers", transfer, key);
        whileFrozen.add(reply.status() + " " + reply.body().getString("code", ""));
        NodeProcess.sleep(500);
      }
      frozen.signal("CONT");
      System.out.printf("answers to the retries while the first attempt's node was frozen: %s%n", whileFrozen);
      assertThat(whileFrozen).isNotEmpty()
          .allMatch(answer -> answer.equals("409 IDEMPOTENCY_IN_FLIGHT") || answer.startsWith("503"));

      Api.Reply settled = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline && (settled == null || settled.status() != 201)) {
        settled = Api.post(other, teller, "/v1/transfers", transfer, key);
        assertThat(settled.status()).as("a retry after the SIGCONT: %s", settled).isIn(201, 409, 503);
        NodeProcess.sleep(500);
      }
      assertThat(settled.status()).isEqualTo(201);
      // references are stored sealed: the transfer is found through the key's kept answer
      Books books = Books.read(cluster.pgUrl);
      assertThat(books.byReference(key)).isEqualTo(settled.body().getString("id") + " POSTED");
      assertThat(books.doubledReferences).as("transfers no kept answer names").isZero();
      assertThat(TestSql.number(cluster.pgUrl, "SELECT coalesce(sum(posted), 0) FROM accounts")).isZero();
    }
  }

  /** Until the frozen node's ledger transaction, its key taken, waits for the audit outbox's lock. */
  private static void awaitWaitingInsert(String pgUrl) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      // the ledger's insert, holding the key's advisory lock: not the sealer's DELETE of sealed rows
      if (TestSql.number(pgUrl, "SELECT count(*) FROM pg_stat_activity a WHERE a.wait_event_type = 'Lock'"
          + " AND ltrim(a.query) ILIKE 'INSERT INTO audit_outbox%' AND EXISTS (SELECT 1 FROM pg_locks l"
          + " WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)") > 0) {
        return;
      }
      NodeProcess.sleep(20);
    }
    throw new AssertionError("no ledger transaction came to wait for the audit outbox");
  }
}
