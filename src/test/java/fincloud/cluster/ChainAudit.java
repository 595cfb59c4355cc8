package fincloud.cluster;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What an auditor does after a fault run: once every outbox row is sealed, verify every audit chain
 * the database holds through {@code GET /v1/audit/verify} on every node (each node checks the
 * chain against its own witness), each with a client allowed to read it: a tenant's auditor, or the
 * platform operator for {@code _system} and {@code _platform}. A chain no client here may read
 * fails the check rather than being skipped.
 */
final class ChainAudit {
  private final String pgUrl;
  private final List<NodeProcess> nodes;

  ChainAudit(String pgUrl, List<NodeProcess> nodes) {
    this.pgUrl = pgUrl;
    this.nodes = nodes;
  }

  void check(FaultReport report) {
    long pending = awaitSealed(Duration.ofSeconds(60));
    report.check(pending == 0, "the audit service sealed every outbox row into its chain after the run: %d left",
        pending);
    List<String> chains = Api.column(pgUrl, "SELECT DISTINCT tenant FROM audit_log ORDER BY tenant");
    List<String> verdicts = new ArrayList<>();
    boolean valid = !chains.isEmpty();
    for (String chain : chains) {
      long records = Api.number(pgUrl, "SELECT count(*) FROM audit_log WHERE tenant = '" + chain.replace("'", "''") + "'");
      for (NodeProcess node : nodes) {
        JsonObject verdict = verify(node, chain);
        boolean held = Boolean.TRUE.equals(verdict.getBoolean("valid"))
            && verdict.getLong("headSeq", -1L) == records;
        valid &= held;
        verdicts.add(String.format("%s on %s: valid %s, head seq %s of %d records, %s recomputed%s", chain, node.name,
            verdict.getValue("valid"), verdict.getValue("headSeq"), records, verdict.getValue("checked") + (verdict.containsKey("by") ? " (by a full verification)" : ""),
            held ? "" : " " + verdict.encode()));
      }
    }
    report.check(valid, "every audit chain (%s) verifies through GET /v1/audit/verify on every node, its head seq"
        + " the number of its records: %s", String.join(", ", chains), String.join("; ", verdicts));
  }

  /** Waits until the outbox is empty; answers how many rows are left. */
  private long awaitSealed(Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    long left = Api.number(pgUrl, "SELECT count(*) FROM audit_outbox");
    while (left > 0 && System.nanoTime() < deadline) {
      NodeProcess.sleep(500);
      left = Api.number(pgUrl, "SELECT count(*) FROM audit_outbox");
    }
    return left;
  }

  /** The verdict, asked again (5 tries, 5 s apart) while it answers 503 (a busy node's request deadline). */
  private static JsonObject verify(NodeProcess node, String chain) {
    String path;
    String client;
    if (chain.equals("_system")) {
      path = "/v1/audit/verify?tenant=_system";
      client = "platform-operator";
    } else if (chain.equals("_platform")) {
      path = "/v1/audit/verify";
      client = "platform-operator";
    } else if (chain.equals("acme")) {
      path = "/v1/audit/verify";
      client = "acme-auditor";
    } else {
      return new JsonObject().put("valid", false).put("why", "no client of this run may read the chain " + chain);
    }
    String token = Api.token(node, client);
    Api.Reply reply = Api.get(node, token, path);
    if (reply.status() != 503) {
      return reply.status() == 200 ? reply.body() : reply.body().put("answer", reply.status());
    }
    // A chain of tens of thousands of records is not recomputed within the gateway's request
    // deadline on these small nodes (every GET answered 503 in a run): the auditor then asks for a
    // full verification, which runs in the background, and follows it to its verdict.
    String full = path.replace("/v1/audit/verify", "/v1/audit/full-verification");
    Api.Reply started = Api.post(node, token, full, new JsonObject());
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    Api.Reply followed = Api.get(node, token, full);
    while (System.nanoTime() < deadline && !(followed.status() == 200
        && List.of("DONE", "FAILED").contains(followed.body().getString("status")))) {
      NodeProcess.sleep(1_000);
      followed = Api.get(node, token, full);
    }
    JsonObject verdict = followed.body().getJsonObject("verdict");
    return verdict != null ? verdict.copy().put("by", "full verification")
        : followed.body().put("answer", followed.status()).put("started", started.status());
  }
}
