package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.bus.CallerKeys;
import fincloud.testkit.Eventually;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The audit witness on the cluster's other nodes: two nodes (clustered on loopback, one database,
 * one checkpoint key) both seal; after every checkpoint, whichever node signed it, both keep it in
 * their data folder. The database's owner then cuts off the chain's tail with its checkpoints:
 * {@code GET /v1/audit/verify} on either node reports it, and so does a node restarted on the
 * other's data folder. Hazelcast on loopback: run it alone.
 */
class ClusterWitnessTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  @Test
  void everyNodeKeepsTheNewestCheckpointWhoeverSignedItAndReportsACutOffTail() throws Exception {
    // both nodes seal, each taking the chain when it gets its lock: over six checkpoints each node
    // keeps checkpoints it did not sign, unless one node happened to sign all six
    ClusterSettings cluster = clusterOfItsOwn();
    String pgUrl = TestDatabase.freshDatabase();
    String callerKey = CallerKeys.generate();
    JsonObject config = new JsonObject()
        .put("cluster", new JsonObject().put("callerKey", callerKey))
        .put("audit", new JsonObject().put("checkpointEvery", 1).put("checkpointSeconds", 1)
            .put("signingKey", new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256)
                .keyIDFromThumbprint(true).generate().toJSONString()));
    Member a = Member.start(cluster, config, pgUrl, "fincloud-witness-a");
    Member b = Member.start(cluster, config, pgUrl, "fincloud-witness-b");
    Path dataA = a.data();
    Path dataB = b.data();
    TestClient httpA = a.http();
    TestClient httpB = b.http();
    Vertx alone = Vertx.vertx();
    Pool sql = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(pgUrl)).using(alone).build();
    try {
      for (int round = 0; round < 6; round++) {
        (round % 2 == 0 ? httpA : httpB).openAccount("acme-teller", new JsonObject().put("currency", "USD"));
        long head = Eventually.until("a checkpoint at the head", DEADLINE, () -> newest(sql), seq -> seq > 0
            && seq == headSeq(sql));
        for (Path data : new Path[] {dataA, dataB}) {
          Eventually.until("the checkpoint at " + head + " or a newer one in " + data.getFileName(), DEADLINE,
              () -> witnessedSeq(data), seq -> seq >= head);
        }
      }
      // nothing left to seal (a first request on a node may still be audited), every record signed
      long head = Eventually.until("a quiet chain", DEADLINE, () -> {
        long before = headSeq(sql);
        long outbox = sql.query("SELECT count(*) FROM audit_outbox").execute().await().iterator().next().getLong(0);
        return outbox == 0 && newest(sql) == before ? before : -1L;
      }, seq -> seq > 0);
      for (Path data : new Path[] {dataA, dataB}) {
        Eventually.until("the checkpoint at " + head + " in " + data.getFileName(), DEADLINE,
            () -> witnessedSeq(data), seq -> seq == head);
      }
      cutOff(sql, head - 1);
      for (TestClient http : new TestClient[] {httpA, httpB}) {
        JsonObject verdict = http.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject();
        assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isFalse();
        assertThat(verdict.getString("reason")).as(verdict.encode()).contains("chain ends at " + (head - 2));
      }
    } finally {
      a.stop();
      b.stop();
    }
    TestNode restarted = TestNode.start(alone, config.copy().put("FINCLOUD_DATA_DIR", dataB.toString()), pgUrl);
    TestClient http = restarted.client();
    try {
      JsonObject verdict = http.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject();
      assertThat(verdict.getBoolean("valid")).as("restarted on B's data folder: " + verdict.encode()).isFalse();
    } finally {
      http.close();
      restarted.stop();
      sql.close().await();
      alone.close().await();
    }
  }

  /**
   * A demo cluster configures no checkpoint key: its members agree on one (docs/contract.md, "Demo
   * mode"), so that either node trusts the checkpoints the other signed, and the second member
   * keeps the agreed key in its data folder for its next start.
   */
  @Test
  void aDemoClusterSignsEveryCheckpointWithOneKey() throws Exception {
    ClusterSettings cluster = clusterOfItsOwn();
    String pgUrl = TestDatabase.freshDatabase();
    JsonObject config = new JsonObject()
        .put("audit", new JsonObject().put("checkpointEvery", 1).put("checkpointSeconds", 1));
    Member a = Member.start(cluster, config, pgUrl, "fincloud-demo-key-a");
    Member b = Member.start(cluster, config, pgUrl, "fincloud-demo-key-b");
    TestClient httpA = a.http();
    TestClient httpB = b.http();
    try {
      String kidA = signingKid(httpA);
      assertThat(signingKid(httpB)).isEqualTo(kidA);
      for (TestClient http : new TestClient[] {httpA, httpB, httpA, httpB}) {
        http.openAccount("acme-teller", new JsonObject().put("currency", "USD"));
      }
      for (TestClient http : new TestClient[] {httpA, httpB}) {
        JsonObject verdict = Eventually.until("a verified chain with checkpoints", DEADLINE,
            () -> http.get("acme-auditor", "/v1/audit/verify").bodyAsJsonObject(),
            answer -> answer.getBoolean("valid", false) && answer.getLong("headSeq", 0L) >= 4);
        assertThat(verdict.getBoolean("valid")).isTrue();
        JsonObject keys = http.get("acme-auditor", "/v1/audit/keys").bodyAsJsonObject();
        assertThat(keys.getJsonArray("unknownKeys")).as(keys.encode()).isEmpty();
      }
      String keptByB = Files.readString(b.data().resolve("audit-signing-key.jwk"));
      assertThat(com.nimbusds.jose.jwk.JWK.parse(keptByB).getKeyID()).isEqualTo(kidA);
    } finally {
      a.stop();
      b.stop();
    }
  }

  /** A node of the test's cluster: its own clustered Vert.x and data folder, the test's database. */
  private record Member(Path data, Vertx vertx, TestNode node, TestClient http) {
    static Member start(ClusterSettings cluster, JsonObject config, String pgUrl, String folder) throws Exception {
      Path data = Files.createTempDirectory(folder);
      Vertx vertx = clustered(cluster);
      TestNode node = TestNode.start(vertx, config.copy().put("FINCLOUD_DATA_DIR", data.toString()), pgUrl);
      return new Member(data, vertx, node, node.client());
    }

    void stop() {
      http.close();
      node.stop();
      vertx.close().await();
    }
  }

  private static String signingKid(TestClient http) {
    JsonArray keys = http.get("acme-auditor", "/v1/audit/keys").bodyAsJsonObject().getJsonArray("keys");
    return keys.stream().map(JsonObject.class::cast).filter(key -> key.getBoolean("signing"))
        .map(key -> key.getString("kid")).findFirst().orElseThrow();
  }

  /** As the tables' owner: the records from {@code seq} on, and their checkpoints, deleted. */
  private static void cutOff(Pool sql, long seq) {
    sql.withConnection(connection -> connection.query("SET session_replication_role = replica").execute()
        .compose(off -> connection.query("DELETE FROM audit_log WHERE tenant = 'acme' AND seq >= " + seq).execute())
        .compose(gone -> connection.query("DELETE FROM audit_checkpoints WHERE tenant = 'acme' AND seq >= "
            + (seq - 1)).execute())
        .compose(gone -> connection.query("SET session_replication_role = origin").execute())).await();
  }

  private static long newest(Pool sql) {
    return sql.query("SELECT coalesce(max(seq), 0) FROM audit_checkpoints WHERE tenant = 'acme'").execute().await()
        .iterator().next().getLong(0);
  }

  private static long headSeq(Pool sql) {
    return sql.query("SELECT coalesce(max(seq), 0) FROM audit_log WHERE tenant = 'acme'").execute().await()
        .iterator().next().getLong(0);
  }

  /** The seq of the acme checkpoint in a node's witness file, 0 when there is none. */
  private static long witnessedSeq(Path dataDir) {
    try {
      Path file = dataDir.resolve("audit-witness.json");
      if (!Files.exists(file)) {
        return 0;
      }
      String jws = new JsonObject(Files.readString(file)).getString("acme");
      return jws == null ? 0 : new JsonObject(com.nimbusds.jose.JWSObject.parse(jws).getPayload().toString())
          .getLong("seq");
    } catch (Exception e) {
      return 0;
    }
  }

  private static ClusterSettings clusterOfItsOwn() {
    int port = 30_000 + ThreadLocalRandom.current().nextInt(0, 200) * 10;
    JsonObject json = ConfigLoader.defaults().mergeIn(new JsonObject()
        .put("FINCLOUD_CLUSTER_NAME", "witness-" + UUID.randomUUID()).put("FINCLOUD_CLUSTER_PORT", port)
        .put("FINCLOUD_CLUSTER_HEARTBEAT_SECONDS", 5), true);
    return new NodeConfig(json).cluster();
  }

  private static Vertx clustered(ClusterSettings cluster) {
    try {
      return Vertx.builder().with(new VertxOptions().setEventBusOptions(
              new EventBusOptions().setHost("127.0.0.1").setPort(0)))
          .withClusterManager(new HazelcastClusterManager(cluster.hazelcast())).buildClustered().await();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
