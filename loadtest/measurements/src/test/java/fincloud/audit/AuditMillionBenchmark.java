package fincloud.audit;

import com.nimbusds.jose.jwk.ECKey;
import com.sun.management.OperatingSystemMXBean;
import fincloud.testkit.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The audit chain at a million records. Not a test (no assertion; timings vary with the machine):
 * run it on purpose, alone, with
 * {@code mvn -B -Pmeasure test -Dtest=AuditMillionBenchmark} ({@code -Dfincloud.audit.records=N}
 * for another length). A helper writes the chain straight into the database (not through HTTP):
 * valid hashes, a checkpoint every 1000 records. Then it measures, on the audit service's own
 * classes against that database:
 *
 * <ol>
 *   <li>{@code GET /v1/audit/verify} with no full verification yet: the last 100,000 records
 *       recomputed, every checkpoint checked (and a full verification started);</li>
 *   <li>the background full verification's rate (records a second, and this JVM's CPU time per
 *       record), on a node just started (no checkpoint signature checked yet) and on the same node
 *       again;</li>
 *   <li>{@code GET /v1/audit/verify} anchored on that full verification, after 50,000 more
 *       records;</li>
 *   <li>an inclusion proof.</li>
 * </ol>
 *
 * The figures are printed and written to {@code target/audit-million.md}.
 */
@ExtendWith(VertxExtension.class)
class AuditMillionBenchmark {
  private static final long RECORDS = Long.getLong("fincloud.audit.records", 1_000_000L);
  private static final String CHAIN = "acme";
  private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  @Test
  void millionRecordChain(Vertx vertx) throws Exception {
    String pgUrl = TestDatabase.freshDatabase();
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4))
        .connectingTo(PgConnectOptions.fromUri(pgUrl).setCachePreparedStatements(true)).using(vertx).build();
    ECKey signingKey = CheckpointKeys.generate();
    CheckpointKeys keys = new CheckpointKeys(signingKey, List.of());
    StringBuilder report = new StringBuilder("| step | records | wall | JVM CPU | figure |\n|---|---:|---:|---:|---|\n");

    MillionRecordChain chain = new MillionRecordChain(pool, keys, CHAIN, 1000);
    Span fill = Span.start();
    chain.append(RECORDS);
    pool.query("VACUUM ANALYZE audit_log").execute().await();
    pool.query("VACUUM ANALYZE audit_checkpoints").execute().await();
    row(report, "fill (helper, not measured code)", RECORDS, fill.end(), "");

    AuditLog log = new AuditLog(vertx, pool);
    FullVerifications full = new FullVerifications(pool, log, keys);
    QuickVerify quick = new QuickVerify(log, keys, full, QuickVerify.INLINE_RECORDS);

    Span cold = Span.start();
    JsonObject first = quick.verify(CHAIN, List.of()).await();
    Span.Result coldResult = cold.end();
    row(report, "GET /v1/audit/verify, no full verification yet", first.getLong("checked"), coldResult,
        "valid " + first.getBoolean("valid") + ", anchor " + first.getString("anchor") + ", recomputedFrom "
            + first.getLong("recomputedFrom"));
    // the full verification that quick verify started in the background
    JsonObject started = waitDone(full);
    row(report, "full verification started by it (ran alongside the verify above)", started.getLong("checked"),
        null, started.getLong("recordsPerSecond") + " records/s (its own count), valid "
            + started.getJsonObject("verdict").getBoolean("valid"));

    // a node just started has checked no checkpoint's signature yet; the same node again has
    FullVerifications restarted = new FullVerifications(pool, log, new CheckpointKeys(signingKey, List.of()));
    alone(report, restarted, "full verification on demand, alone, on a node just started");
    alone(report, restarted, "full verification on demand, alone, the same node again");

    chain.append(50_000);
    Span warm = Span.start();
    JsonObject anchored = quick.verify(CHAIN, List.of()).await();
    row(report, "GET /v1/audit/verify, 50,000 records after the full verification", anchored.getLong("checked"),
        warm.end(), "valid " + anchored.getBoolean("valid") + ", anchor " + anchored.getString("anchor")
            + ", recomputedFrom " + anchored.getLong("recomputedFrom") + ", headSeq " + anchored.getLong("headSeq"));

    InclusionProofs proofs = new InclusionProofs(vertx, pool, keys);
    proofs.proof(CHAIN, 1).await();
    Span proof = Span.start();
    JsonObject answer = proofs.proof(CHAIN, RECORDS / 2 + 7).await();
    row(report, "GET /v1/audit/events/{seq}/proof (window of 1000)", 1, proof.end(),
        answer.getJsonArray("auditPath").size() + " hashes in the path, valid offline "
            + ProofCheck.judge(answer, keys).getBoolean("valid"));

    String text = "Chain of " + String.format("%,d", chain.head()) + " records, " + Runtime.getRuntime()
        .availableProcessors() + " cores\n\n" + report;
    System.out.println(text);
    Files.writeString(Path.of("target", "audit-million.md"), text);
    pool.close().await();
  }

  /** A full verification on demand, nothing else running in this JVM. */
  private static void alone(StringBuilder report, FullVerifications full, String step) throws InterruptedException {
    Thread.sleep(1_100);
    Span job = Span.start();
    full.runIfDue(CHAIN, 1, List::of).await();
    Span.Result jobResult = job.end();
    JsonObject alone = full.latest(CHAIN).await();
    row(report, step, alone.getLong("checked"), jobResult,
        String.format("%,d records/s wall, %.2f us JVM CPU/record, job says %,d records/s, valid %s",
            (long) (alone.getLong("checked") / jobResult.wallSeconds()),
            jobResult.cpuMs() * 1000.0 / alone.getLong("checked"), alone.getLong("recordsPerSecond"),
            alone.getJsonObject("verdict").getBoolean("valid")));
  }

  private static JsonObject waitDone(FullVerifications full) throws InterruptedException {
    for (int i = 0; i < 6000; i++) {
      JsonObject latest = full.latest(CHAIN).await();
      if (latest != null && !"RUNNING".equals(latest.getString("status"))) {
        return latest;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the full verification did not end in 10 minutes");
  }

  private static void row(StringBuilder report, String step, long records, Span.Result span, String figure) {
    report.append("| ").append(step).append(" | ").append(String.format("%,d", records)).append(" | ")
        .append(span == null ? "" : String.format("%.2f s", span.wallSeconds())).append(" | ")
        .append(span == null ? "" : String.format("%.2f s", span.cpuMs() / 1000.0)).append(" | ")
        .append(figure).append(" |\n");
    System.out.println("audit-million: " + step + ": " + records + " records, " + span + ", " + figure);
  }

  /** Wall and this JVM's CPU time (all its threads, from the operating system). */
  private record Span(long wallNanos, long cpuNanos) {
    static Span start() {
      return new Span(System.nanoTime(), OS.getProcessCpuTime());
    }

    Result end() {
      return new Result((System.nanoTime() - wallNanos) / 1e9, (OS.getProcessCpuTime() - cpuNanos) / 1e6);
    }

    record Result(double wallSeconds, double cpuMs) {
    }
  }
}
