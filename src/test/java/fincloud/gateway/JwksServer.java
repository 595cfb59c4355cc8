package fincloud.gateway;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** An identity provider's key endpoint on loopback: serves the public keys it is given, counts fetches. */
final class JwksServer {
  private final List<JWK> keys = new CopyOnWriteArrayList<>();
  private final AtomicInteger fetches = new AtomicInteger();
  private final HttpServer server;

  JwksServer(Vertx vertx) {
    server = vertx.createHttpServer().requestHandler(request -> {
      fetches.incrementAndGet();
      request.response().putHeader("Content-Type", "application/json")
          .end(new JWKSet(List.copyOf(keys)).toString(true));
    }).listen(0, "127.0.0.1").await();
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/.well-known/jwks.json";
  }

  void publish(JWK key) {
    keys.add(key.toPublicJWK());
  }

  int fetches() {
    return fetches.get();
  }

  void close() {
    server.close().await();
  }
}
