package fincloud.privacy;

import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.SecureRandom;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;

/**
 * A JMH-free micro-measurement of what encryption adds to one transfer: sealing its reference and
 * metadata (the debit account's key cached) and revealing the answer (a key id walk and two
 * openings), in CPU time of this thread per transfer; beside it, encoding the same answer as JSON
 * once, as a yardstick. Run with the bench lock held (loadtest/results/ says how).
 */
public final class SealingCost {
  private SealingCost() {
  }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    DataKey key = new DataKey("acc_01KB0Z3Q8M6V2T9XJ4N7P5R1DW", "dk0123456789abcdef01234567", new SecretKeySpec(bytes, "AES"));
    Map<String, javax.crypto.SecretKey> keys = Map.of(key.keyId(), key.key());
    JsonObject transfer = new JsonObject().put("id", "trf_01KB0Z3RJ3Y0K8H2D6W9QF4C7B").put("tenant", "acme")
        .put("debitAccountId", key.accountId()).put("creditAccountId", "acc_01KB0Z3RJ3Y0K8H2D6W9QF4C7B")
        .put("amount", 2500).put("currency", "EUR").put("mode", "IMMEDIATE").put("status", "POSTED")
        .put("postedAmount", 2500).put("createdAt", "2026-12-04T21:00:00.123456Z")
        .put("risk", new JsonObject().put("decision", "APPROVE").put("score", 0).put("reasons", new io.vertx.core.json.JsonArray()));
    String reference = "invoice 2026-000042";
    JsonObject metadata = new JsonObject().put("order", "o-991").put("customer", "cust-42");
    for (int warm = 0; warm < 3; warm++) {
      long sealed = measure(rounds, () -> {
        JsonObject stored = transfer.copy()
            .put("reference", CustomerFields.sealText(key, "reference", reference))
            .put("metadata", CustomerFields.sealMetadata(key, metadata));
        CustomerFields.reveal(stored, keys);
      });
      long plain = measure(rounds, () -> transfer.copy().put("reference", reference).put("metadata", metadata.copy()));
      long encode = measure(rounds, () -> transfer.copy().put("reference", reference).put("metadata", metadata).encode());
      System.out.printf("round %d: seal 2 fields + reveal answer %d ns/transfer; same without encryption %d ns; "
          + "one JSON encode of the answer %d ns%n", warm, sealed, plain, encode);
    }
  }

  private static long measure(int rounds, Runnable transfer) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long start = threads.getCurrentThreadCpuTime();
    for (int i = 0; i < rounds; i++) {
      transfer.run();
    }
    return (threads.getCurrentThreadCpuTime() - start) / rounds;
  }
}
