package fincloud.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The OAuth clients of the configuration: each has a tenant, its scopes and a hashed secret. A
 * secret that once matched is remembered by its SHA-256 so that a load test's token requests do
 * not each pay for PBKDF2; the plain secret is never kept or logged.
 */
final class ClientRegistry {
  record Client(String id, String tenant, Set<String> scopes, String secretHash) {
  }

  private final Map<String, Client> clients;
  private final Set<String> verified = ConcurrentHashMap.newKeySet();

  ClientRegistry(List<Client> configured) {
    clients = configured.stream().collect(Collectors.toUnmodifiableMap(Client::id, Function.identity()));
  }

  Client find(String clientId) {
    return clientId == null ? null : clients.get(clientId);
  }

  /** The client when the secret is right, else null; hashing runs on a worker thread. */
  Future<Client> authenticate(Vertx vertx, String clientId, String secret) {
    Client client = find(clientId);
    if (client == null || secret == null) {
      return Future.succeededFuture(null);
    }
    String remembered = clientId + ":" + SecretHash.fingerprint(secret);
    if (verified.contains(remembered)) {
      return Future.succeededFuture(client);
    }
    return vertx.executeBlocking(() -> SecretHash.matches(secret, client.secretHash()), false).map(ok -> {
      if (ok) {
        verified.add(remembered);
      }
      return ok ? client : null;
    });
  }
}
