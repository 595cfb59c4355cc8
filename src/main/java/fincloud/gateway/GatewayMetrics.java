package fincloud.gateway;

import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.NodeMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's meters, next to the HTTP, event-bus and pool meters that Vert.x keeps itself and
 * those of its service calls ({@link fincloud.bus.ServiceCalls}):
 * refusals of its own (rate limits, overload), requests in flight, body bytes held,
 * and transfers by outcome and code as the clients saw them.
 */
final class GatewayMetrics {
  private static final Map<String, String> TRANSFER_OPERATIONS = Map.of(
      Addresses.TRANSFERS_CREATE, "create",
      Addresses.TRANSFERS_BATCH, "batch",
      Addresses.TRANSFERS_POST, "post",
      Addresses.TRANSFERS_VOID, "void");

  private final MeterRegistry registry = NodeMetrics.registry();

  private final Counter overloaded = Counter.builder(NodeMetrics.GATEWAY_OVERLOADED)
      .description("Requests refused with 503 because the node had too many in flight").register(registry);
  // The client is in the access log line of the request: a label per client would grow without bound.
  private final Counter rateLimited = Counter.builder(NodeMetrics.GATEWAY_RATE_LIMITED)
      .description("Requests refused with 429 RATE_LIMITED").register(registry);

  private final Map<String, Counter> transferCounters = new ConcurrentHashMap<>();

  void inFlight(AtomicInteger inFlight) {
    Gauge.builder(NodeMetrics.GATEWAY_IN_FLIGHT, inFlight, AtomicInteger::get)
        .description("API requests this node is working on").strongReference(true).register(registry);
  }

  void bodyBytes(BodyBudget budget) {
    Gauge.builder(NodeMetrics.GATEWAY_BODY_BYTES, budget, BodyBudget::heldBytes).baseUnit("bytes")
        .description("Bytes of request bodies reserved on this node (gateway.bodyBudget)").strongReference(true)
        .register(registry);
  }

  void rateLimited() {
    rateLimited.increment();
  }

  void overloaded() {
    overloaded.increment();
  }

  /**
   * Transfers as their clients saw them: created or settled with their status, refused with their
   * code, or unavailable. Replays are not counted again; a batch counts each of its transfers.
   */
  void transfers(ApiRoute route, Answer answer) {
    String operation = TRANSFER_OPERATIONS.get(route.address());
    if (operation == null || answer.replayed()) {
      return;
    }
    if (!answer.isProblem()) {
      if (answer.body().containsKey("transfers")) {
        answer.body().getJsonArray("transfers").forEach(t -> transfer(operation, ((JsonObject) t).getString("status"), "none"));
      } else {
        transfer(operation, answer.body().getString("status"), "none");
      }
      return;
    }
    transfer(operation, answer.status() == 503 ? "UNAVAILABLE" : "REFUSED", answer.body().getString("code"));
  }

  /** Registered once per operation, outcome and code (all from closed sets), then only looked up. */
  private void transfer(String operation, String outcome, String code) {
    transferCounters.computeIfAbsent(operation + '\0' + outcome + '\0' + code, key -> Counter.builder(NodeMetrics.TRANSFERS)
        .description("Transfer requests by operation, outcome and code").tag("operation", operation)
        .tag("outcome", String.valueOf(outcome)).tag("code", String.valueOf(code)).register(registry)).increment();
  }

}
