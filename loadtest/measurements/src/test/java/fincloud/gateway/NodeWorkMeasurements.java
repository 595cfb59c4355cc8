package fincloud.gateway;

import fincloud.shared.CanonicalJson;
import fincloud.shared.NodeMetrics;
import fincloud.shared.StageTimes;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * CPU time and bytes allocated per call of the gateway's work on one transfer, the way it was and
 * the way it is, on one thread, printed as {@code MEASURE} lines; run on purpose with
 * {@code mvn -B -Pmeasure test -Dtest=NodeWorkMeasurements} under the bench lock. Allocation is
 * a count, not a timing: it does not depend on how busy the machine is.
 */
class NodeWorkMeasurements {
  private static final int CALLS = Integer.getInteger("fincloud.measure.calls", 200_000);
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @Test
  void perCall() {
    RequestSchemas schemas = new RequestSchemas(RequestSchemas.loadOpenApi());
    JsonObject transfer = new JsonObject().put("debitAccountId", "acc_01JEXAMPLEDEBIT00000000000")
        .put("creditAccountId", "acc_01JEXAMPLECREDIT0000000000").put("amount", 1250).put("currency", "EUR")
        .put("reference", "invoice 2026-0042");
    JsonArray hundred = new JsonArray();
    for (int i = 0; i < 100; i++) {
      hundred.add(transfer.copy());
    }
    JsonObject batch = new JsonObject().put("transfers", hundred);
    measure("validate a transfer, schema walk (before)", CALLS, () -> {
      schemas.validateWithoutShortcut("TransferRequest", transfer);
      return null;
    });
    measure("validate a transfer, hot-route check (after)", CALLS, () -> {
      schemas.validate("TransferRequest", transfer);
      return null;
    });
    measure("validate a batch of 100, schema walk (before)", CALLS / 100, () -> {
      schemas.validateWithoutShortcut("BatchRequest", batch);
      return null;
    });
    measure("validate a batch of 100, hot-route check (after)", CALLS / 100, () -> {
      schemas.validate("BatchRequest", batch);
      return null;
    });
    measure("Server-Timing entry, String.format (before)", CALLS,
        () -> "total;dur=" + String.format(Locale.ROOT, "%.3f", 1_234_567 / 1e6));
    measure("Server-Timing entry, written (after)", CALLS, () -> StageTimes.entry("total", 1_234_567));
    measure("transfers counter, builder and register per request (before)", CALLS, () -> {
      Counter.builder(NodeMetrics.TRANSFERS).description("Transfer requests by operation, outcome and code")
          .tag("operation", "create").tag("outcome", "POSTED").tag("code", "none").register(NodeMetrics.registry())
          .increment();
      return null;
    });
    GatewayMetrics metrics = new GatewayMetrics();
    ApiRoute route = Routes.ALL.stream().filter(r -> "TransferRequest".equals(r.schema())).findFirst().orElseThrow();
    fincloud.shared.Answer posted = new fincloud.shared.Answer(201, new JsonObject().put("status", "POSTED"), false);
    measure("transfers counter, looked up (after)", CALLS, () -> {
      metrics.transfers(route, posted);
      return null;
    });
    measure("request hash: canonical JSON and SHA-256 (unchanged)", CALLS,
        () -> CanonicalJson.sha256Hex("POST /v1/transfers\n" + CanonicalJson.of(transfer)));
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    fincloud.shared.RequestContext caller = new fincloud.shared.RequestContext("req_0123456789", "acme",
        "acme-teller", java.util.Set.of("transfers:write", "accounts:read"), "127.0.0.1", "key-0123456789",
        "9f".repeat(32), System.currentTimeMillis());
    measure("caller seal on a transfer request (unchanged)", CALLS, () -> fincloud.bus.CallerSeal.seal(vertx,
        "fincloud.payments.create", transfer, caller.toDeliveryOptions(), 5_000));
    io.vertx.core.eventbus.DeliveryOptions sealed = fincloud.bus.CallerSeal.seal(vertx, "fincloud.payments.create",
        transfer, caller.toDeliveryOptions(), 60_000);
    measure("caller seal check of a transfer request (unchanged)", CALLS, () -> fincloud.bus.CallerSeal.verify(vertx,
        "fincloud.payments.create", sealed.getHeaders(), transfer));
    vertx.close();
    measure("JSON encode of a transfer (once per seal, per check, per answer)", CALLS, transfer::encode);
    measure("JsonObject copy of a transfer (a local event-bus send)", CALLS, transfer::copy);
  }

  private static void measure(String what, int calls, Supplier<Object> call) {
    for (int i = 0; i < calls; i++) {
      call.get();
    }
    long thread = Thread.currentThread().getId();
    long bytes = THREADS.getThreadAllocatedBytes(thread);
    long cpu = THREADS.getCurrentThreadCpuTime();
    for (int i = 0; i < calls; i++) {
      call.get();
    }
    cpu = THREADS.getCurrentThreadCpuTime() - cpu;
    bytes = THREADS.getThreadAllocatedBytes(thread) - bytes;
    System.out.printf(Locale.ROOT, "MEASURE %-66s %9.2f µs CPU %8d bytes allocated per call%n", what,
        cpu / 1e3 / calls, bytes / calls);
  }
}
