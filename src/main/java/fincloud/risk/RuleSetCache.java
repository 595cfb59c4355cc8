package fincloud.risk;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rule sets in force, as one risk verticle instance holds them: installed when this instance
 * changes a set, reloaded from the database when another says it changed one, and when the periodic version check finds the
 * database ahead (the safety net for a lost message). Used from the verticle's event loop only.
 */
final class RuleSetCache {
  private static final Logger LOG = LoggerFactory.getLogger(RuleSetCache.class);

  private final Map<String, RuleSet> sets = new HashMap<>();
  private final Pool pool;
  private final long maxStaleMs;
  private long checkedAtMs;
  private boolean checking;

  RuleSetCache(Pool pool, long maxStaleMs) {
    this.pool = pool;
    this.maxStaleMs = maxStaleMs;
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
    return sets.getOrDefault(tenant, RuleSet.EMPTY);
  }

  /** True when the versions could not be checked for a while: the sets may be out of date. */
  boolean stale() {
    return System.currentTimeMillis() - checkedAtMs > maxStaleMs;
  }

  long maxStaleMs() {
    return maxStaleMs;
  }

  /** Never goes back to an older version (a slow load must not undo a newer change). */
  void install(String tenant, RuleSet set) {
    if (set.version() > get(tenant).version()) {
      sets.put(tenant, set);
    }
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
        .onSuccess(done -> checkedAtMs = asked)
        .onFailure(failure -> LOG.warn("could not check the risk rule versions: {}", failure.getMessage()))
        .onComplete(done -> checking = false);
  }
}
