package fincloud.bus;

import io.vertx.core.json.JsonObject;

/** What risk says about a transfer; kept as {@code "decision"} in the transfer's {@code risk}. */
public enum Decision {
  APPROVE, REVIEW, DECLINE;

  /** The decision recorded in a transfer's {@code risk} ({@link RiskScore#toJson()}), or null when there is none. */
  public static Decision of(JsonObject risk) {
    return risk == null || risk.getString("decision") == null ? null : valueOf(risk.getString("decision"));
  }
}
