package fincloud.payments;

import fincloud.shared.Addresses;
import fincloud.shared.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Asks the risk service, over the event bus and within a short deadline, to score transfers. */
final class RiskClient {
  private final Vertx vertx;
  private final long timeoutMs;

  RiskClient(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  /** One decision per item, in order. */
  Future<List<JsonObject>> score(RequestContext caller, List<TransferItem> items, Map<String, AccountState> accounts) {
    if (items.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    long now = Instant.now().getEpochSecond();
    JsonArray payload = new JsonArray();
    items.forEach(item -> payload.add(item.toJson().put("debitAccountAgeSeconds",
        now - accounts.get(item.debitAccountId()).createdAtEpochSecond)));
    JsonObject request = new JsonObject().put("tenant", caller.tenant()).put("items", payload);
    return ask(caller, request)
        .recover(failure -> lostOnTheWay(failure) ? ask(caller, request) : Future.failedFuture(failure))
        .map(reply -> reply.body().getJsonArray("decisions").stream().map(d -> (JsonObject) d).toList());
  }

  private Future<Message<JsonObject>> ask(RequestContext caller, JsonObject request) {
    return vertx.eventBus().request(Addresses.RISK_SCORE, request, caller.toDeliveryOptions().setSendTimeout(timeoutMs));
  }

  /**
   * Scoring changes nothing, so a request that a node lost (it died or left, or it is still
   * starting) is asked once more, of the next node, before failing closed.
   */
  private static boolean lostOnTheWay(Throwable failure) {
    return failure instanceof ReplyException reply
        && (reply.failureType() == ReplyFailure.TIMEOUT || reply.failureType() == ReplyFailure.NO_HANDLERS);
  }
}
