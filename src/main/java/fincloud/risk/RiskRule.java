package fincloud.risk;

import fincloud.bus.ScoredTransfer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * One rule of a tenant's set, as validated by {@link RuleSetParser}. A rule measures a transfer
 * against its limit: it is broken when the measure is above {@code max} ("max is what is allowed").
 * Velocity rules measure against the debit account's recent transfers ({@link VelocityWindow}).
 */
sealed interface RiskRule {
  /** The measure of a rule that does not apply to the transfer (another currency, an old account). */
  long NOT_APPLICABLE = Long.MIN_VALUE;

  enum Action { DECLINE, REVIEW }

  String id();

  Action action();

  String type();

  /** What the rule allows. */
  long max();

  /** Whether it needs the debit account's window. */
  default boolean velocity() {
    return false;
  }

  /** The quantity compared with {@link #max()}, or {@link #NOT_APPLICABLE}; the window may be null for others. */
  long measure(ScoredTransfer t, VelocityWindow window, long nowMs);

  /** Why a broken rule refuses, for the {@code reasons} of a decision. */
  String explain(ScoredTransfer t, long measured);

  JsonObject toJson();

  private static JsonObject common(RiskRule rule) {
    return new JsonObject().put("id", rule.id()).put("type", rule.type()).put("action", rule.action().name());
  }

  record MaxAmount(String id, Action action, String currency, long max) implements RiskRule {
    @Override
    public String type() {
      return "MAX_AMOUNT";
    }

    @Override
    public long measure(ScoredTransfer t, VelocityWindow window, long nowMs) {
      return currency.equals(t.currency()) ? t.amount() : NOT_APPLICABLE;
    }

    @Override
    public String explain(ScoredTransfer t, long measured) {
      return "the amount " + measured + " " + currency + " is above the maximum of " + max;
    }

    @Override
    public JsonObject toJson() {
      return common(this).put("currency", currency).put("max", max);
    }
  }

  record VelocityCount(String id, Action action, long windowSeconds, long max) implements RiskRule {
    @Override
    public String type() {
      return "VELOCITY_COUNT";
    }

    @Override
    public boolean velocity() {
      return true;
    }

    /** This transfer and those already accepted in the window. */
    @Override
    public long measure(ScoredTransfer t, VelocityWindow window, long nowMs) {
      return window == null ? NOT_APPLICABLE : window.count(windowSeconds, nowMs) + 1;
    }

    @Override
    public String explain(ScoredTransfer t, long measured) {
      return "account " + t.debitAccountId() + " already made " + (measured - 1) + " transfers in the last "
          + windowSeconds + " s; " + max + " are allowed";
    }

    @Override
    public JsonObject toJson() {
      return common(this).put("windowSeconds", windowSeconds).put("max", max);
    }
  }

  record VelocityAmount(String id, Action action, long windowSeconds, String currency, long max)
      implements RiskRule {
    @Override
    public String type() {
      return "VELOCITY_AMOUNT";
    }

    @Override
    public boolean velocity() {
      return true;
    }

    @Override
    public long measure(ScoredTransfer t, VelocityWindow window, long nowMs) {
      if (window == null || !currency.equals(t.currency())) {
        return NOT_APPLICABLE;
      }
      return VelocityWindow.saturatedAdd(window.amount(windowSeconds, nowMs), t.amount());
    }

    @Override
    public String explain(ScoredTransfer t, long measured) {
      return "account " + t.debitAccountId() + " would move " + measured + " " + currency + " in "
          + windowSeconds + " s; " + max + " are allowed";
    }

    @Override
    public JsonObject toJson() {
      return common(this).put("windowSeconds", windowSeconds).put("currency", currency).put("max", max);
    }
  }

  /** @param accountIds in the order given (a LinkedHashSet), for the answer to GET */
  record Blocklist(String id, Action action, Set<String> accountIds) implements RiskRule {
    @Override
    public String type() {
      return "BLOCKLIST";
    }

    /** Nothing on a blocklist is allowed: a hit measures 1 against a max of 0. */
    @Override
    public long max() {
      return 0;
    }

    @Override
    public long measure(ScoredTransfer t, VelocityWindow window, long nowMs) {
      return accountIds.contains(t.debitAccountId()) || accountIds.contains(t.creditAccountId())
          ? 1 : NOT_APPLICABLE;
    }

    @Override
    public String explain(ScoredTransfer t, long measured) {
      String listed = accountIds.contains(t.debitAccountId()) ? t.debitAccountId() : t.creditAccountId();
      return "account " + listed + " is on the blocklist";
    }

    @Override
    public JsonObject toJson() {
      return common(this).put("accountIds", new JsonArray(List.copyOf(accountIds)));
    }
  }

  record NewAccountLimit(String id, Action action, long ageSeconds, String currency, long max)
      implements RiskRule {
    @Override
    public String type() {
      return "NEW_ACCOUNT_LIMIT";
    }

    @Override
    public long measure(ScoredTransfer t, VelocityWindow window, long nowMs) {
      return currency.equals(t.currency()) && t.debitAccountAgeSeconds() < ageSeconds ? t.amount() : NOT_APPLICABLE;
    }

    @Override
    public String explain(ScoredTransfer t, long measured) {
      return "account " + t.debitAccountId() + " is " + t.debitAccountAgeSeconds() + " s old (new below "
          + ageSeconds + " s) and the amount " + measured + " " + currency + " is above the " + max
          + " allowed to new accounts";
    }

    @Override
    public JsonObject toJson() {
      return common(this).put("ageSeconds", ageSeconds).put("currency", currency).put("max", max);
    }
  }
}
