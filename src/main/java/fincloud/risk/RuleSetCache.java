package fincloud.risk;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rule sets in force, as one risk verticle instance keeps them up to date: installed when this
 * instance changes a set, reloaded from the database when another says it changed one, and when
 * the periodic version check finds the database ahead (the safety net for a lost message). The
 * sets themselves are the node's ({@link RuleSetsInForce}), shared with its other instances; the
 * checks and their staleness are this instance's. Used from the verticle's event loop only.
 *
 * <p>When the check fails because no database server can be reached (a failover, a crash), the
 * sets are kept in force for up to {@code outageMaxStaleMs}, not {@code maxStaleMs}: a rule change
 * is a commit on the primary, so while there is none no change can be missed, and a transfer
 * scored meanwhile moves money only once a primary commits it. What may be missed is a change
 * committed in the last poll before the outage whose message was lost too, as in normal running.
 * A server that answers with an error is no outage: then {@code maxStaleMs} holds.
 */
final class RuleSetCache {
  private static final Logger LOG = LoggerFactory.getLogger(RuleSetCache.class);

  private final RuleSetsInForce sets;
  private final Pool pool;
  private final long maxStaleMs;
  private final long outageMaxStaleMs;
  private long checkedAtMs;
  private boolean checking;
  private boolean databaseUnreachable;

  RuleSetCache(RuleSetsInForce sets, Pool pool, long maxStaleMs, long outageMaxStaleMs) {
    this.sets = sets;
    this.pool = pool;
    this.maxStaleMs = maxStaleMs;
    this.outageMaxStaleMs = Math.max(maxStaleMs, outageMaxStaleMs);
  }

  Future<Void> load() {
    long asked = System.currentTimeMillis();
    return RuleSetRepository.all(pool).map(all -> {
      all.forEach(this::install);
      checkedAtMs = asked;
      return null;
    });
  }

  /** The tenant's set in force: version 0 and no rules until its first change. */
  RuleSet get(String tenant) {
    return sets.get(tenant);
  }

  /**
   * True when the versions could not be checked for a while: the sets may be out of date. The
   * while is longer when the last check failed for want of a database server (see the class).
   */
  boolean stale() {
    long uncheckedMs = System.currentTimeMillis() - checkedAtMs;
    return uncheckedMs > (databaseUnreachable ? outageMaxStaleMs : maxStaleMs);
  }

  /** How long the sets have gone unchecked, for the refusal that says so. */
  long uncheckedMs() {
    return System.currentTimeMillis() - checkedAtMs;
  }

  /** Never goes back to an older version (a slow load must not undo a newer change). */
  void install(String tenant, RuleSet set) {
    sets.install(tenant, set);
  }

  void install(RuleSetRepository.Stored stored) {
    if (stored.version() <= get(stored.tenant()).version()) {
      return;
    }
    try {
      install(stored.tenant(), new RuleSet(stored.version(),
          RuleSetParser.parse(new JsonObject().put("rules", stored.rules()))));
    } catch (RuntimeException unreadable) {
      LOG.error("the stored risk rules of {} version {} cannot be read: {}", stored.tenant(), stored.version(),
          unreadable.getMessage());
    }
  }

  /**
   * Loads the tenant's set from the database: what a "rules changed" message asks for. The
   * message only says which tenant to look at; the rules and their version come from the database.
   */
  Future<Void> reload(String tenant) {
    if (tenant == null || tenant.isBlank()) {
      return Future.succeededFuture();
    }
    return RuleSetRepository.current(pool, tenant).onSuccess(this::install).<Void>mapEmpty()
        .onFailure(failure -> LOG.warn("could not reload the risk rules of {}: {}", tenant, failure.getMessage()));
  }

  /** Compares every tenant's version with the database's, and loads the sets that are behind. */
  void checkVersions() {
    if (checking) {
      return;
    }
    checking = true;
    long asked = System.currentTimeMillis();
    RuleSetRepository.versions(pool)
        .compose(versions -> Future.all(versions.entrySet().stream()
            .filter(v -> v.getValue() > get(v.getKey()).version())
            .map(v -> RuleSetRepository.current(pool, v.getKey()).onSuccess(this::install))
            .toList()))
        .onSuccess(done -> {
          checkedAtMs = asked;
          databaseUnreachable = false;
        })
        .onFailure(failure -> {
          // a PgException is the server's own answer: it is there, so the outage allowance does not apply
          databaseUnreachable = !(failure instanceof PgException);
          LOG.warn("could not check the risk rule versions: {}", failure.getMessage());
        })
        .onComplete(done -> checking = false);
  }
}
