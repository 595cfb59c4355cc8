package fincloud.risk;

import fincloud.outbox.AuditEvent;
import fincloud.outbox.AuditOutbox;
import fincloud.shared.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The risk tables: every version of each tenant's rule set, and the head naming the one in force. */
final class RuleSetRepository {
  private static final String BUMP_HEAD = """
      INSERT INTO risk_rule_heads (tenant, version) VALUES ($1, 1)
      ON CONFLICT (tenant) DO UPDATE SET version = risk_rule_heads.version + 1
      RETURNING version""";
  private static final String INSERT_SET = """
      INSERT INTO risk_rule_sets (tenant, version, rules, changed_by, request_id) VALUES ($1, $2, $3, $4, $5)""";
  private static final String CURRENT = """
      SELECT h.tenant, h.version, s.rules FROM risk_rule_heads h
      JOIN risk_rule_sets s ON s.tenant = h.tenant AND s.version = h.version""";

  private RuleSetRepository() {
  }

  /** Stored JSON of a rule set: {@code {"version","rules"}}. */
  record Stored(String tenant, long version, JsonArray rules) {
    JsonObject toJson() {
      return new JsonObject().put("version", version).put("rules", rules);
    }
  }

  /**
   * Makes {@code rules} the tenant's set: the head goes up by one (its row lock orders concurrent
   * changes of one tenant), the set is kept under its version, and the change is audited, all in
   * one transaction.
   */
  static Future<Stored> replace(Pool pool, RequestContext caller, JsonArray rules) {
    return pool.withTransaction(tx -> tx.preparedQuery(BUMP_HEAD).execute(Tuple.of(caller.tenant()))
        .map(rows -> rows.iterator().next().getLong("version"))
        .compose(version -> tx.preparedQuery(INSERT_SET)
            .execute(Tuple.of(caller.tenant(), version, rules, caller.clientId(), caller.requestId()))
            .compose(inserted -> AuditOutbox.write(tx, List.of(AuditEvent.of(caller, "RISK_RULES_CHANGED",
                "risk_rules", caller.tenant(), true, new JsonObject().put("oldVersion", version - 1)
                    .put("newVersion", version).put("rules", rules)))))
            .map(audited -> new Stored(caller.tenant(), version, rules))));
  }

  /** The tenant's set in force; version 0 and no rules before the first change. */
  static Future<Stored> current(Pool pool, String tenant) {
    return pool.preparedQuery(CURRENT + " WHERE h.tenant = $1").execute(Tuple.of(tenant))
        .map(rows -> rows.size() == 0 ? new Stored(tenant, 0, new JsonArray()) : stored(rows.iterator().next()));
  }

  /** Every tenant's set in force. */
  static Future<List<Stored>> all(Pool pool) {
    return pool.query(CURRENT).execute().map(rows -> {
      List<Stored> sets = new java.util.ArrayList<>();
      rows.forEach(row -> sets.add(stored(row)));
      return sets;
    });
  }

  /** The version in force of every tenant that has rules: what each node polls. */
  static Future<Map<String, Long>> versions(Pool pool) {
    return pool.query("SELECT tenant, version FROM risk_rule_heads").execute().map(rows -> {
      Map<String, Long> versions = new HashMap<>();
      rows.forEach(row -> versions.put(row.getString("tenant"), row.getLong("version")));
      return versions;
    });
  }

  private static Stored stored(Row row) {
    Object rules = row.getValue("rules");
    return new Stored(row.getString("tenant"), row.getLong("version"),
        rules instanceof JsonArray array ? array : new JsonArray(String.valueOf(rules)));
  }
}
