package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.testkit.TestNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code POST /oauth/token} is limited per client id and per source address before any secret is
 * hashed (429 with Retry-After), and an unknown client id costs the same derivation as a known one.
 * The limits' periods are an hour, so that nothing here depends on how fast the requests go.
 */
@ExtendWith(VertxExtension.class)
class TokenLimitsTest {
  private static final JsonObject ONE_HOUR_OF_20 = new JsonObject().put("limit", 20).put("periodMs", 3_600_000);
  private static final JsonObject UNLIMITED = new JsonObject().put("limit", 1_000_000).put("periodMs", 1000);

  private static TestNode node(Vertx vertx, JsonObject perClient, JsonObject perAddress) {
    return TestNode.start(vertx, new JsonObject().put("gateway", new JsonObject().put("tokenLimits",
        new JsonObject().put("perClient", perClient).put("perAddress", perAddress))));
  }

  private static HttpResponse<Buffer> token(WebClient web, String clientId, String secret) {
    return web.post("/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap().add("grant_type", "client_credentials")
        .add("client_id", clientId).add("client_secret", secret)).await();
  }

  private static void assertSlowDown(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(429);
    assertThat(Long.parseLong(response.getHeader("Retry-After"))).isPositive();
    assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("slow_down");
  }

  @Test
  void the21stRequestForOneClientIdIsRefusedWithRetryAfter(Vertx vertx) {
    TestNode node = node(vertx, ONE_HOUR_OF_20, UNLIMITED);
    WebClient web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.port()));
    try {
      for (int i = 0; i < 20; i++) {
        assertThat(token(web, "acme-teller", "wrong").statusCode()).as("request " + (i + 1)).isEqualTo(401);
      }
      assertSlowDown(token(web, "acme-teller", "wrong"));
      assertSlowDown(token(web, "acme-teller", "acme-teller-secret"));
      // unknown ids are limited alike (the answer does not tell which ids exist); other ids are not
      for (int i = 0; i < 20; i++) {
        assertThat(token(web, "nobody", "guess").statusCode()).isEqualTo(401);
      }
      assertSlowDown(token(web, "nobody", "guess"));
      assertThat(token(web, "acme-admin", "acme-admin-secret").statusCode()).isEqualTo(200);
    } finally {
      web.close();
      node.stop();
    }
  }

  @Test
  void the21stRequestFromOneAddressIsRefusedWhateverTheClientId(Vertx vertx) {
    TestNode node = node(vertx, UNLIMITED, ONE_HOUR_OF_20);
    WebClient web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.port()));
    try {
      for (int i = 0; i < 20; i++) {
        assertThat(token(web, "guess-" + i, "guess").statusCode()).isEqualTo(401);
      }
      assertSlowDown(token(web, "acme-admin", "acme-admin-secret"));
    } finally {
      web.close();
      node.stop();
    }
  }

  @Test
  void anUnknownIdGoesThroughTheSameDerivationAsAKnownOne(Vertx vertx) {
    AtomicInteger derivations = new AtomicInteger();
    List<String> against = new ArrayList<>();
    SecretHashing hashing = new SecretHashing(vertx, 1, 10, (secret, stored) -> {
      derivations.incrementAndGet();
      synchronized (against) {
        against.add(stored);
      }
      return SecretHash.matches(secret, stored);
    });
    String known = SecretHash.hash("right");
    ClientRegistry registry = new ClientRegistry(List.of(new ClientRegistry.Client("known", "acme",
        java.util.Set.of("accounts:read"), known)));
    assertThat(registry.authenticate(hashing, "unknown", "guess").await()).isNull();
    assertThat(registry.authenticate(hashing, "known", "guess").await()).isNull();
    assertThat(registry.authenticate(hashing, "known", null).await()).isNull();
    assertThat(derivations.get()).isEqualTo(3);
    // same iterations, same kind of work: the unknown id's is against a hash nobody's secret matches
    assertThat(against.get(0)).isEqualTo(ClientRegistry.NOBODY);
    assertThat(against.get(0).split("\\$")[1]).isEqualTo(known.split("\\$")[1]);
    assertThat(registry.authenticate(hashing, "known", "right").await()).isNotNull();
  }

  @Test
  void pastItsBoundTheHashingPoolRefusesAtOnce(Vertx vertx) {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    SecretHashing hashing = new SecretHashing(vertx, 1, 2, (secret, stored) -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return false;
    });
    Future<Boolean> first = hashing.matches("a", ClientRegistry.NOBODY);
    Future<Boolean> second = hashing.matches("b", ClientRegistry.NOBODY);
    Future<Boolean> third = hashing.matches("c", ClientRegistry.NOBODY);
    assertThat(third.failed()).isTrue();
    assertThat(third.cause()).isInstanceOf(SecretHashing.Busy.class);
    release.countDown();
    assertThat(first.await()).isFalse();
    assertThat(second.await()).isFalse();
  }
}
