package fincloud.gateway;

import fincloud.outbox.AuditAction;
import fincloud.outbox.AuditEvent;
import fincloud.outbox.AuditOutbox;
import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import fincloud.shared.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revoked access tokens: {@code POST /v1/tokens/revocations} (scope {@code admin}) stores a
 * token id ({@code jti}) of the caller's own tenant in PostgreSQL until the token's expiry, and
 * every gateway instance reads the revocations still in force every {@link #POLL_MS} into a set in
 * memory, bounded by expiry (no token outlives {@code gateway.jwks.maxLifetimeSeconds}), that the
 * token check consults on every request. That set is the node's, shared by its gateway instances
 * (a revocation is in force on the whole node as soon as it is answered); each instance reads the
 * table on its own timer, from its event loop.
 */
final class TokenRevocations implements RevokedTokens {
  /**
   * The node's revoked tenant and token id pairs, each with when it may be forgotten (epoch ms);
   * replaced whole, never changed in place.
   */
  private static final class NodeSet implements Shareable {
    final AtomicReference<Map<String, Long>> keys = new AtomicReference<>(Map.of());
  }

  static final long POLL_MS = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(TokenRevocations.class);
  private static final long CLOCK_SKEW_SECONDS = 60;
  private static final String IN_FORCE = "SELECT tenant, jti, until FROM token_revocations WHERE until > now()";
  private static final String REVOKE = """
      INSERT INTO token_revocations (tenant, jti, until, revoked_by) VALUES ($1, $2, $3, $4)
      ON CONFLICT (tenant, jti) DO UPDATE SET until = greatest(token_revocations.until, excluded.until)
      RETURNING (xmax = 0) AS created""";
  private static final String FORGET_EXPIRED = "DELETE FROM token_revocations WHERE until < now() - interval '1 day'";

  private final Pool pool;
  private final long maxLifetimeSeconds;
  private final AtomicReference<Map<String, Long>> revoked;
  private Future<Void> loading;

  TokenRevocations(Vertx vertx, Pool pool, long maxLifetimeSeconds) {
    this.pool = pool;
    this.maxLifetimeSeconds = maxLifetimeSeconds;
    this.revoked = vertx.sharedData().<String, NodeSet>getLocalMap("fincloud.gateway")
        .computeIfAbsent("revokedTokens", key -> new NodeSet()).keys;
  }

  @Override
  public boolean contains(String tenant, String tokenId) {
    return revoked.get().containsKey(key(tenant, tokenId));
  }

  /** Reads the revocations in force now, or joins the read under way. */
  Future<Void> load() {
    if (loading != null) {
      return loading;
    }
    Future<Void> load = pool.query(IN_FORCE).execute().map(rows -> {
      Map<String, Long> inForce = new HashMap<>();
      rows.forEach(row -> inForce.put(key(row.getString(0), row.getString(1)),
          row.getOffsetDateTime(2).toInstant().toEpochMilli()));
      // Merged, not replaced: a revocation answered while the table was being read stays.
      revoked.updateAndGet(known -> merged(known, inForce));
      return (Void) null;
    }).onFailure(failure -> LOG.warn("could not read the token revocations: {}", failure.getMessage()));
    loading = load;
    load.onComplete(done -> loading = null);
    return load;
  }

  /** The bus operation: {@code {"jti","expiresAt"}} of a token of the caller's tenant. */
  Future<Answer> revoke(RequestContext caller, JsonObject request) {
    JsonObject body = request.getJsonObject("body", new JsonObject());
    String jti = body.getString("jti");
    Instant until = until(body.getString("expiresAt"));
    JsonObject revocation = new JsonObject().put("jti", jti).put("tenant", caller.tenant())
        .put("expiresAt", Timestamps.format(until));
    return pool.withTransaction(tx -> tx.preparedQuery(REVOKE)
            .execute(Tuple.of(caller.tenant(), jti, OffsetDateTime.ofInstant(until, ZoneOffset.UTC), caller.clientId()))
            .compose(rows -> AuditOutbox.write(tx, List.of(AuditEvent.of(caller, AuditAction.TOKEN_REVOKED, "token",
                    jti, true, revocation)))
                .map(written -> rows.iterator().next().getBoolean("created")))
            .compose(created -> tx.query(FORGET_EXPIRED).execute().map(forgotten -> created)))
        .map(created -> {
          revoked.updateAndGet(known -> merged(known, Map.of(key(caller.tenant(), jti), until.toEpochMilli())));
          return created ? Answer.created(revocation) : Answer.ok(revocation);
        });
  }

  /** The token's expiry: not past, and not beyond the longest lifetime a token may have. */
  private Instant until(String expiresAt) {
    Instant until;
    try {
      until = OffsetDateTime.parse(expiresAt).toInstant();
    } catch (DateTimeParseException | NullPointerException e) {
      throw invalid("expiresAt must be an RFC 3339 date-time");
    }
    Instant now = Instant.now();
    if (!until.isAfter(now)) {
      throw invalid("expiresAt has passed: the token has expired already");
    }
    if (until.isAfter(now.plusSeconds(maxLifetimeSeconds + CLOCK_SKEW_SECONDS))) {
      throw invalid("expiresAt is later than any token may live (" + maxLifetimeSeconds + " s from now)");
    }
    return until;
  }

  private static ServiceException invalid(String detail) {
    return new ServiceException(ErrorCode.VALIDATION_FAILED, detail, new JsonObject().put("field", "expiresAt"));
  }

  /** Both, less what has expired: the set stays bounded by the tokens' lifetimes. */
  private static Map<String, Long> merged(Map<String, Long> known, Map<String, Long> more) {
    long now = System.currentTimeMillis();
    Map<String, Long> merged = new HashMap<>(more);
    known.forEach((key, until) -> merged.merge(key, until, Math::max));
    merged.values().removeIf(until -> until <= now);
    return Map.copyOf(merged);
  }

  private static String key(String tenant, String tokenId) {
    return tenant + '\n' + tokenId;
  }
}
