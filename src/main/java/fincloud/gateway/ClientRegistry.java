package fincloud.gateway;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The OAuth clients of the configuration: each has a tenant, its scopes and a hashed secret. A
 * secret that once matched is remembered by its SHA-256 so that a load test's token requests do
 * not each pay for PBKDF2; the plain secret is never kept or logged. An unknown client id, or no
 * secret, costs the same derivation as a wrong secret (against a hash nobody's secret matches),
 * so that the time of the answer does not tell which client ids exist.
 */
final class ClientRegistry {
  record Client(String id, String tenant, Set<String> scopes, String secretHash) {
  }

  /** The stored form of a random secret that nobody knows, derived against for unknown ids. */
  static final String NOBODY = "pbkdf2-sha256$210000$iuq14pjdfvEW7V81uUqCZA==$Q2xpZW50SWROb3RLbm93bkJ5VGhpc05vZGUuLi4uLi4=";

  private final Map<String, Client> clients;
  private final Set<String> verified = ConcurrentHashMap.newKeySet();

  ClientRegistry(List<Client> configured) {
    clients = configured.stream().collect(Collectors.toUnmodifiableMap(Client::id, Function.identity()));
  }

  Client find(String clientId) {
    return clientId == null ? null : clients.get(clientId);
  }

  /**
   * The client when the secret is right, else null; hashing runs on the bounded pool, and fails
   * with {@link SecretHashing.Busy} past its bound.
   */
  Future<Client> authenticate(SecretHashing hashing, String clientId, String secret) {
    Client client = find(clientId);
    if (client == null || secret == null) {
      return hashing.matches(secret == null ? "" : secret, NOBODY).map(ignored -> null);
    }
    String remembered = clientId + ":" + SecretHash.fingerprint(secret);
    if (verified.contains(remembered)) {
      return Future.succeededFuture(client);
    }
    return hashing.matches(secret, client.secretHash()).map(ok -> {
      if (ok) {
        verified.add(remembered);
      }
      return ok ? client : null;
    });
  }
}
