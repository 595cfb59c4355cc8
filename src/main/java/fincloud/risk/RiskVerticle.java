package fincloud.risk;

import fincloud.shared.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The risk service: scores each transfer on its way to the ledger against its tenant's rule set.
 * Request {@code {"tenant","items":[{debitAccountId,creditAccountId,amount,currency,
 * debitAccountAgeSeconds}]}}, reply {@code {"decisions":[{"decision","score","reasons"}]}}.
 * Until rule sets exist (the risk issue), every tenant's set is empty and everything is approved.
 */
public class RiskVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    return vertx.eventBus().<JsonObject>consumer(Addresses.RISK_SCORE, message -> {
      JsonArray decisions = new JsonArray();
      message.body().getJsonArray("items").forEach(item -> decisions.add(approve()));
      message.reply(new JsonObject().put("decisions", decisions));
    }).completion();
  }

  private static JsonObject approve() {
    return new JsonObject().put("decision", "APPROVE").put("score", 0).put("reasons", new JsonArray());
  }
}
