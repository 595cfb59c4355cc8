package fincloud.gateway;

import fincloud.outbox.AuditAction;
import fincloud.outbox.AuditEvent;
import fincloud.outbox.AuditOutbox;
import fincloud.shared.NodeState;
import fincloud.shared.ReservedTenants;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed authentications — a bad client secret at {@code /oauth/token}, a bad or expired token at
 * {@code /v1} — become {@code AUTH_FAILED} audit records (PCI DSS 10.2.1.4). So that a flood of bad
 * tokens cannot flood the log, attempts are gathered in windows of one second of the clock per
 * client (when the client id is one of ours) or per remote address (otherwise), shared by all
 * gateway instances of the node and, through {@link AuthFailureGathering}, by every gateway of the
 * cluster: each window becomes one record carrying the number of attempts it stands for, written
 * to the outbox in a small transaction of its own. A known client's record goes to its tenant's
 * chain; an unknown client's (or a token's, which cannot be trusted to name one) to the
 * {@code _system} chain that only the platform operator reads. When the cluster's map is out of
 * reach each node writes its own window: at most one record per second per node then.
 */
final class AuthFailures {
  static final String SYSTEM_CHAIN = ReservedTenants.SYSTEM;
  private static final Logger LOG = LoggerFactory.getLogger(AuthFailures.class);
  private static final long WINDOW_MS = 1000;
  private static final int MAX_LISTED = 5;
  private static final int MAX_TEXT = 100;

  private final Vertx vertx;
  private final Pool pool;
  private final ClientRegistry clients;
  private final Windows windows;
  private final AuthFailureGathering gathering;

  AuthFailures(Vertx vertx, Pool pool, ClientRegistry clients) {
    this.vertx = vertx;
    this.pool = pool;
    this.clients = clients;
    this.gathering = new AuthFailureGathering(vertx);
    Windows fresh = new Windows();
    Windows shared = NodeState.<Windows>local(vertx)
        .putIfAbsent("authFailures", fresh);
    this.windows = shared == null ? fresh : shared;
  }

  /** @param clientId the client id the caller gave, or null when it named none (a token) */
  void record(RoutingContext ctx, String clientId, String reason) {
    String origin = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().host();
    LOG.debug("authentication failed: client={} from={} request={} reason={}", cut(clientId), origin,
        ctx.<String>get(RequestIds.KEY), cut(reason));
    ClientRegistry.Client client = clients.find(clientId);
    String key = client != null ? "client:" + client.id() : "address:" + origin;
    Attempts attempt = new Attempts(client == null ? SYSTEM_CHAIN : client.tenant(),
        client == null ? null : client.id(), origin, ctx.get(RequestIds.KEY), 1, count(reason),
        client != null || clientId == null ? Set.of() : Set.of(cut(clientId)), System.currentTimeMillis());
    add(key, attempt);
  }

  /** Adds attempts to the key's open window; the one that opens it closes it when its second ends. */
  private void add(String key, Attempts attempts) {
    if (windows.add(key, attempts)) {
      long now = System.currentTimeMillis();
      long second = now / WINDOW_MS;
      vertx.setTimer((second + 1) * WINDOW_MS - now, fire -> flush(key, second));
    }
  }

  private void flush(String key, long second) {
    Attempts window = windows.take(key);
    if (window == null) {
      return;
    }
    gathering.gather(key, second, window).onComplete(gathered -> {
      if (gathered.failed()) {
        LOG.warn("the cluster's gathering of failed authentications of {} did not answer, writing this node's: {}",
            key, gathered.cause().toString());
        write(key, window);
      } else if (gathered.result() != null) {
        write(key, gathered.result());
      }
    });
  }

  private void write(String key, Attempts window) {
    LOG.info("{} failed authentication(s) of {} in the last second: {}", window.count(), key, window.reasons());
    pool.withTransaction(tx -> AuditOutbox.write(tx, List.of(window.toEvent()))).onFailure(failure -> {
      LOG.warn("could not audit {} failed authentications of {}, retrying: {}", window.count(), key,
          failure.toString());
      add(key, window);
    });
  }

  private static Map<String, Long> count(String reason) {
    return Map.of(cut(reason == null ? "unknown" : reason), 1L);
  }

  /**
   * What a caller sent, fit for a log line and a record: at most 100 characters, no control
   * characters (no forged log lines), no half of a surrogate pair (the cut may split one); null stays null.
   */
  private static String cut(String text) {
    if (text == null) {
      return null;
    }
    String head = text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT);
    return head.codePoints().map(c -> Character.isISOControl(c) || Character.getType(c) == Character.SURROGATE ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
  }

  /** The attempts of one window: who, from where, the first request's id, how many and why. */
  record Attempts(String tenant, String client, String origin, String requestId, long count,
      Map<String, Long> reasons, Set<String> claimedClients, long openedAt) {

    Attempts plus(Attempts more) {
      Map<String, Long> why = new LinkedHashMap<>(reasons);
      more.reasons.forEach((reason, n) -> {
        if (why.containsKey(reason) || why.size() < MAX_LISTED) {
          why.merge(reason, n, Long::sum);
        }
      });
      Set<String> claimed = new LinkedHashSet<>(claimedClients);
      more.claimedClients.stream().filter(id -> claimed.size() < MAX_LISTED).forEach(claimed::add);
      return new Attempts(tenant, client, origin, requestId, count + more.count, why, claimed, openedAt);
    }

    Attempts reopened() {
      return new Attempts(tenant, client, origin, requestId, count, reasons, claimedClients,
          System.currentTimeMillis());
    }

    JsonObject toJson() {
      return new JsonObject().put("tenant", tenant).put("client", client).put("origin", origin)
          .put("requestId", requestId).put("count", count).put("reasons", new JsonObject(new LinkedHashMap<>(reasons)))
          .put("claimedClients", new JsonArray(List.copyOf(claimedClients))).put("openedAt", openedAt);
    }

    /** Attempts another gateway handed in; cut again, as they travelled through the cluster's map. */
    static Attempts fromJson(JsonObject json) {
      Map<String, Long> reasons = new LinkedHashMap<>();
      json.getJsonObject("reasons", new JsonObject()).forEach(reason -> {
        if (reasons.size() < MAX_LISTED) {
          reasons.put(cut(reason.getKey()), ((Number) reason.getValue()).longValue());
        }
      });
      Set<String> claimed = new LinkedHashSet<>();
      json.getJsonArray("claimedClients", new JsonArray()).stream().limit(MAX_LISTED)
          .forEach(id -> claimed.add(cut(String.valueOf(id))));
      return new Attempts(json.getString("tenant"), json.getString("client"), cut(json.getString("origin")),
          cut(json.getString("requestId")), json.getLong("count", 0L), reasons, claimed, json.getLong("openedAt", 0L));
    }

    AuditEvent toEvent() {
      JsonObject data = new JsonObject().put("attempts", count)
          .put("reasons", new JsonObject(new LinkedHashMap<>(reasons)));
      if (!claimedClients.isEmpty()) {
        data.put("clientIds", new JsonArray(List.copyOf(claimedClients)));
      }
      return new AuditEvent(tenant, client, AuditAction.AUTH_FAILED.name(), "client", client, false, origin,
          requestId, data);
    }
  }

  /** The node's open windows, one per client or address, shared by the gateway instances. */
  static final class Windows implements Shareable {
    /** A window whose flush was never run (its gateway instance went away) is reopened after this. */
    private static final long ORPHANED_MS = 10 * WINDOW_MS;
    private final Map<String, Attempts> open = new ConcurrentHashMap<>();

    /** Adds attempts; true when they opened the window, so that the caller schedules its flush. */
    boolean add(String key, Attempts attempts) {
      boolean[] opened = {false};
      open.compute(key, (k, existing) -> {
        if (existing == null || System.currentTimeMillis() - existing.openedAt() > ORPHANED_MS) {
          opened[0] = true;
          return existing == null ? attempts : existing.plus(attempts).reopened();
        }
        return existing.plus(attempts);
      });
      return opened[0];
    }

    Attempts take(String key) {
      return open.remove(key);
    }
  }
}
