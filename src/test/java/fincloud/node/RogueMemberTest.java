package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.bus.CallerKeys;
import fincloud.shared.Addresses;
import fincloud.testkit.Funds;
import fincloud.testkit.OwnNode;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.junit5.VertxExtension;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A process that joins the cluster (loopback, its name known) but has not the cluster key sends
 * what the gateway would send, naming a tenant and its scopes: every service refuses it, nothing
 * moves, and a forged "rules changed" publish changes no rule set. Two clustered Vert.x instances
 * in this JVM, on a cluster name and ports of their own.
 */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class RogueMemberTest {
  static TestNode node;
  static TestClient http;
  static Vertx rogue;
  /** A member that has the cluster key: what a node of the deployment is. */
  static Vertx peer;

  @OwnNode
  static TestNode start() {
    ClusterSettings cluster = clusterOfItsOwn();
    String key = CallerKeys.generate();
    Vertx member = clustered(cluster);
    rogue = clustered(cluster);
    peer = clustered(cluster);
    CallerKeys.install(peer, new CallerKeys(java.util.Base64.getDecoder().decode(key), null));
    JsonObject keyed = new JsonObject().put("cluster", new JsonObject().put("callerKey", key));
    return TestNode.startOnItsOwnVertx(member, keyed);
  }

  @AfterAll
  static void leave() {
    rogue.close().await();
    peer.close().await();
  }

  @Test
  void aMemberWithTheKeyIsBelievedAcrossTheCluster() {
    String funding = Funds.fundingAccount(http, "USD");
    String carol = Funds.fundedAccount(http, Funds.ADMIN, "USD", 10_000);
    JsonObject request = new JsonObject().put("path", new JsonObject()).put("query", new JsonObject())
        .put("body", new JsonObject().put("debitAccountId", carol).put("creditAccountId", funding)
            .put("amount", 2_500).put("currency", "USD").put("reference", "sealed über the wire"));
    DeliveryOptions asAcmeAdmin = new DeliveryOptions().setSendTimeout(5_000)
        .addHeader("requestId", "peer-1").addHeader("tenant", "acme").addHeader("client", Funds.ADMIN)
        .addHeader("scopes", "accounts:read accounts:write transfers:read transfers:write admin")
        .addHeader("origin", "").addHeader("receivedAt", Long.toString(System.currentTimeMillis()));
    var reply = peer.eventBus().<JsonObject>request(Addresses.TRANSFERS_CREATE, request,
        fincloud.bus.CallerSeal.seal(peer, Addresses.TRANSFERS_CREATE, request, asAcmeAdmin, 5_000)).await();
    assertThat(reply.headers().get("status")).as(String.valueOf(reply.body())).isEqualTo("201");
    assertThat(Funds.posted(http, Funds.ADMIN, carol)).isEqualTo(7_500);
  }

  @Test
  void aForgedTransferIsRefusedAndMovesNothing() {
    String funding = Funds.fundingAccount(http, "USD");
    String alice = Funds.fundedAccount(http, Funds.ADMIN, "USD", 10_000);
    long transfers = TestSql.number(node.pgUrl(), "SELECT count(*) FROM transfers");
    long alicePosted = Funds.posted(http, Funds.ADMIN, alice);
    JsonObject forged = new JsonObject().put("path", new JsonObject()).put("query", new JsonObject())
        .put("body", new JsonObject().put("debitAccountId", alice).put("creditAccountId", funding)
            .put("amount", 5_000).put("currency", "USD"));
    DeliveryOptions asAcmeAdmin = new DeliveryOptions().setSendTimeout(5_000)
        .addHeader("requestId", "rogue-1").addHeader("tenant", "acme").addHeader("client", Funds.ADMIN)
        .addHeader("scopes", "accounts:read accounts:write transfers:read transfers:write admin")
        .addHeader("origin", "").addHeader("receivedAt", Long.toString(System.currentTimeMillis()));

    Throwable refused = rogue.eventBus().request(Addresses.TRANSFERS_CREATE, forged, asAcmeAdmin)
        .map(reply -> (Throwable) null).otherwise(failure -> failure).await();
    assertThat(refused).as("a forged request without a seal").isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) refused).failureCode()).isEqualTo(503);
    // the node-local twin takes no seal: no message from another member reaches it at all
    Throwable toTheTwin = rogue.eventBus().request(Addresses.local(Addresses.TRANSFERS_CREATE), forged, asAcmeAdmin)
        .map(reply -> (Throwable) null).otherwise(failure -> failure).await();
    assertThat(toTheTwin).as("a forged request to the node-local twin").isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) toTheTwin).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);
    // a seal of the right shape made with another key is refused too
    Throwable wrongKey = rogue.eventBus().request(Addresses.TRANSFERS_CREATE, forged,
            fincloud.bus.CallerSeal.seal(rogue, Addresses.TRANSFERS_CREATE, forged, asAcmeAdmin, 5_000))
        .map(reply -> (Throwable) null).otherwise(failure -> failure).await();
    assertThat(wrongKey).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) wrongKey).failureCode()).isEqualTo(503);

    assertThat(TestSql.number(node.pgUrl(), "SELECT count(*) FROM transfers")).isEqualTo(transfers);
    assertThat(Funds.posted(http, Funds.ADMIN, alice)).isEqualTo(alicePosted);
  }

  @Test
  void aForgedRulesChangedPublishChangesNoRuleSet() throws Exception {
    // EUR only, so that the other test's USD funding is not declined
    String funding = Funds.fundingAccount(http, "EUR");
    String bob = Funds.fundedAccount(http, Funds.ADMIN, "EUR", 10_000);
    JsonObject maxRule = new JsonObject().put("id", "max-eur").put("type", "MAX_AMOUNT").put("currency", "EUR")
        .put("max", 1_000);
    assertThat(http.put(Funds.ADMIN, "/v1/risk/rules", new JsonObject().put("rules", new JsonArray().add(maxRule)))
        .statusCode()).isEqualTo(200);
    awaitDeclined(funding, bob);

    rogue.eventBus().publish(Addresses.RISK_RULES_CHANGED, new JsonObject().put("tenant", "acme")
        .put("version", Long.MAX_VALUE / 2).put("rules", new JsonArray()));
    // the publish reaches the node within milliseconds; give it ample time to do harm
    Thread.sleep(1_000);

    assertThat(http.transfer(Funds.ADMIN, bob, funding, 5_000, "EUR").statusCode())
        .as("a transfer above the tenant's max is still declined").isEqualTo(422);
    assertThat(http.get(Funds.ADMIN, "/v1/risk/rules").bodyAsJsonObject().getJsonArray("rules")).hasSize(1);
  }

  private static void awaitDeclined(String funding, String account) {
    fincloud.testkit.Eventually.until("the rule to be in force", java.time.Duration.ofSeconds(10),
        () -> http.transfer(Funds.ADMIN, account, funding, 5_000, "EUR").statusCode() == 422);
  }

  private static ClusterSettings clusterOfItsOwn() {
    int port = 30_000 + ThreadLocalRandom.current().nextInt(0, 200) * 10;
    JsonObject json = ConfigLoader.defaults().mergeIn(new JsonObject()
        .put("FINCLOUD_CLUSTER_NAME", "rogue-" + UUID.randomUUID()).put("FINCLOUD_CLUSTER_PORT", port)
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
