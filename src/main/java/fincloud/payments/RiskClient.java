package fincloud.payments;

import fincloud.shared.Addresses;
import fincloud.shared.NodeMetrics;
import fincloud.shared.RequestContext;
import fincloud.shared.StageTimes;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Asks the risk service, over the event bus and within a short deadline, to score transfers. */
final class RiskClient {
  private final Vertx vertx;
  private final long timeoutMs;
  private final Timer latency = Timer.builder(NodeMetrics.RISK_LATENCY)
      .description("Round trip of a risk scoring request, as payments sees it")
      .publishPercentileHistogram().register(NodeMetrics.registry());

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
    long started = System.nanoTime();
    return vertx.eventBus().<JsonObject>request(Addresses.RISK_SCORE,
            new JsonObject().put("tenant", caller.tenant()).put("items", payload),
            caller.toDeliveryOptions().setSendTimeout(timeoutMs))
        .onComplete(done -> {
          latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
          StageTimes.record(caller, "risk", System.nanoTime() - started);
        })
        .map(reply -> reply.body().getJsonArray("decisions").stream().map(d -> (JsonObject) d).toList());
  }
}
