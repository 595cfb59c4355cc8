package fincloud.risk;

import fincloud.risk.RiskRule.Action;
import fincloud.shared.ErrorCode;
import fincloud.shared.Money;
import fincloud.shared.ServiceException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the body of {@code PUT /v1/risk/rules} (or a stored set) into rules, checking what the
 * request schema cannot: which fields each type takes and needs, unique ids, and bounds. A bad
 * rule is a {@code 400 VALIDATION_FAILED} naming it by {@code index} and {@code ruleId}, and the
 * property at fault in {@code field}.
 */
final class RuleSetParser {
  static final int MAX_RULES = 100;
  static final int MAX_BLOCKLIST = 10_000;
  /** The longest velocity window: a week (the window state stays small, see VelocityWindow). */
  static final long MAX_WINDOW_SECONDS = 7 * 24 * 3600;
  static final long MAX_AGE_SECONDS = 10L * 366 * 24 * 3600;

  private static final Set<String> COMMON = Set.of("id", "type", "action");
  private static final Map<String, List<String>> FIELDS = Map.of(
      "MAX_AMOUNT", List.of("currency", "max"),
      "VELOCITY_COUNT", List.of("windowSeconds", "max"),
      "VELOCITY_AMOUNT", List.of("windowSeconds", "currency", "max"),
      "BLOCKLIST", List.of("accountIds"),
      "NEW_ACCOUNT_LIMIT", List.of("ageSeconds", "currency", "max"));

  private RuleSetParser() {
  }

  /** @throws ServiceException VALIDATION_FAILED naming the first bad rule */
  static List<RiskRule> parse(JsonObject body) {
    Object value = body == null ? null : body.getValue("rules");
    if (!(value instanceof JsonArray array)) {
      throw invalid(null, null, "rules", "rules must be an array of rules");
    }
    if (array.size() > MAX_RULES) {
      throw invalid(null, null, "rules", "a rule set holds at most " + MAX_RULES + " rules");
    }
    List<RiskRule> rules = new ArrayList<>(array.size());
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject json)) {
        throw invalid(i, null, null, "rule " + i + " must be an object");
      }
      RiskRule rule = new Reader(i, json).rule();
      if (!ids.add(rule.id())) {
        throw invalid(i, rule.id(), "id", "rule " + i + ": the id '" + rule.id() + "' is used by an earlier rule");
      }
      rules.add(rule);
    }
    return rules;
  }

  /** Reads one rule, refusing at the first bad field. */
  private static final class Reader {
    private final int index;
    private final JsonObject json;
    private String id;

    Reader(int index, JsonObject json) {
      this.index = index;
      this.json = json;
    }

    RiskRule rule() {
      id = text("id", 64);
      String type = text("type", 32);
      List<String> fields = FIELDS.get(type);
      if (fields == null) {
        throw fail("type", "type must be one of " + String.join(", ", FIELDS.keySet().stream().sorted().toList()));
      }
      for (String field : json.fieldNames()) {
        if (!COMMON.contains(field) && !fields.contains(field)) {
          throw fail(field, type + " takes no '" + field + "' (it takes " + String.join(", ", fields) + ")");
        }
      }
      for (String field : fields) {
        if (json.getValue(field) == null) {
          throw fail(field, type + " needs '" + field + "'");
        }
      }
      Action action = action();
      return switch (type) {
        case "MAX_AMOUNT" -> new RiskRule.MaxAmount(id, action, currency(), max());
        case "VELOCITY_COUNT" -> new RiskRule.VelocityCount(id, action, window(), max());
        case "VELOCITY_AMOUNT" -> new RiskRule.VelocityAmount(id, action, window(), currency(), max());
        case "BLOCKLIST" -> new RiskRule.Blocklist(id, action, accountIds());
        default -> new RiskRule.NewAccountLimit(id, action, integer("ageSeconds", 1, MAX_AGE_SECONDS), currency(),
            max());
      };
    }

    private String text(String field, int maxLength) {
      Object value = json.getValue(field);
      if (!(value instanceof String text) || text.isEmpty() || text.length() > maxLength) {
        throw fail(field, "'" + field + "' must be a string of 1 to " + maxLength + " characters");
      }
      return text;
    }

    private Action action() {
      Object value = json.getValue("action");
      if (value == null) {
        return Action.DECLINE;
      }
      for (Action action : Action.values()) {
        if (action.name().equals(value)) {
          return action;
        }
      }
      throw fail("action", "action must be DECLINE or REVIEW");
    }

    private String currency() {
      Object value = json.getValue("currency");
      if (!Money.isCurrency(value)) {
        throw fail("currency", "currency must be an ISO 4217 code in upper case");
      }
      return (String) value;
    }

    private long max() {
      return integer("max", 0, Money.MAX_AMOUNT);
    }

    private long window() {
      return integer("windowSeconds", 1, MAX_WINDOW_SECONDS);
    }

    private long integer(String field, long min, long max) {
      Object value = json.getValue(field);
      if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < min
          || ((Number) value).longValue() > max) {
        throw fail(field, "'" + field + "' must be an integer from " + min + " to " + max);
      }
      return ((Number) value).longValue();
    }

    private Set<String> accountIds() {
      Object value = json.getValue("accountIds");
      if (!(value instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_BLOCKLIST) {
        throw fail("accountIds", "accountIds must be an array of 1 to " + MAX_BLOCKLIST + " account ids");
      }
      Set<String> ids = new LinkedHashSet<>();
      for (Object element : array) {
        if (!(element instanceof String accountId) || accountId.isEmpty() || accountId.length() > 64) {
          throw fail("accountIds", "accountIds must hold account ids (strings of 1 to 64 characters)");
        }
        ids.add(accountId);
      }
      return Collections.unmodifiableSet(ids);
    }

    private ServiceException fail(String field, String problem) {
      String name = id == null ? "rule " + index : "rule " + index + " ('" + id + "')";
      return invalid(index, id, field, name + ": " + problem);
    }
  }

  private static ServiceException invalid(Integer index, String ruleId, String field, String detail) {
    JsonObject extra = new JsonObject();
    if (index != null) {
      extra.put("index", index);
    }
    if (ruleId != null) {
      extra.put("ruleId", ruleId);
    }
    if (field != null) {
      extra.put("field", field);
    }
    return new ServiceException(ErrorCode.VALIDATION_FAILED, detail, extra);
  }
}
