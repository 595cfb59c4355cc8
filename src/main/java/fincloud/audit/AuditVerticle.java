package fincloud.audit;

import fincloud.bus.ServiceConsumers;
import fincloud.privacy.DataKeys;
import fincloud.privacy.PrivacySettings;
import fincloud.shared.Addresses;
import fincloud.shared.DatabasePool;
import fincloud.shared.PoolSettings;
import fincloud.shared.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * The audit service: runs the sealer (outbox rows into per-tenant hash chains, see {@link Sealer})
 * and answers reads of the chains — events, verification, the checkpoint keys, and the ranges the
 * gateway streams. The sealer has its own single connection, so that sealing never waits behind
 * the ledger's queue for the shared pool.
 */
public class AuditVerticle extends VerticleBase {
  /** How long one server may take to say whether it is the primary (a multi-host URL). */
  private static final long PROBE_TIMEOUT_MS = 3_000;
  private final AuditSettings settings;
  private final PoolSettings database;
  private final Path dataDir;
  private final PrivacySettings privacy;
  private final boolean demo;
  private Sealer sealer;
  private ServiceConsumers consumers;
  private VerificationSchedule schedule;

  /**
   * @param dataDir the node's data folder, where the witness of the newest checkpoints is kept
   * @param demo whether the node runs in demo mode (a demo cluster agrees on its checkpoint key)
   */
  public AuditVerticle(AuditSettings settings, PoolSettings database, Path dataDir, PrivacySettings privacy,
      boolean demo) {
    this.privacy = privacy;
    this.demo = demo;
    this.settings = settings;
    this.database = database;
    this.dataDir = dataDir;
  }

  @Override
  public Future<?> start() {
    Pool pool = DatabasePool.create(vertx, database);
    Pool sealing = sealerPool(vertx, database.pgUrl(), settings);
    consumers = new ServiceConsumers(vertx);
    return vertx.executeBlocking(() -> CheckpointKeys.load(settings))
        .compose(mine -> CheckpointKeyAgreement.applies(vertx, demo, settings)
            ? CheckpointKeyAgreement.agree(vertx, pool, settings, mine) : Future.succeededFuture(mine))
        .compose(keys -> vertx.executeBlocking(
        () -> Witness.load(dataDir, keys)).compose(witness -> {
      sealer = new Sealer(vertx, sealing, keys, settings, SealingProbe.NONE, witness);
      AuditLog log = new AuditLog(vertx, pool);
      FullVerifications full = new FullVerifications(pool, log, keys);
      AuditQueries queries = new AuditQueries(log, keys, sealer::witness, full, new InclusionProofs(vertx, pool, keys),
          new DataKeys(vertx, privacy), pool);
      schedule = new VerificationSchedule(vertx, pool, full, settings.fullVerificationIntervalSeconds(),
          queries::witnesses);
      return Future.all(List.of(
          consumers.on(Addresses.AUDIT_EVENTS, queries::events),
          consumers.on(Addresses.AUDIT_VERIFY, queries::verify),
          consumers.on(Addresses.AUDIT_KEYS, queries::keys),
          consumers.on(Addresses.AUDIT_CHECKPOINTS, queries::checkpoints),
          consumers.on(Addresses.AUDIT_PROOF, queries::proof),
          consumers.onMessage(Addresses.AUDIT_CHECKPOINT_SIGNED,
              signed -> vertx.executeBlocking(() -> witness.learn(signed.getString("jws"), keys), false)),
          consumers.on(Addresses.AUDIT_FULL_VERIFICATION_START, queries::startFullVerification),
          consumers.on(Addresses.AUDIT_FULL_VERIFICATION, queries::fullVerification),
          consumers.on(Addresses.AUDIT_RANGE, queries::range)));
    })).onSuccess(listening -> {
      sealer.start();
      schedule.start();
    });
  }

  /** Stops taking reads first (consumers unregistered), finishes those it has, then the sealer. */
  @Override
  public Future<?> stop() {
    if (schedule != null) {
      schedule.stop();
    }
    Future<Void> drained = consumers == null ? Future.succeededFuture() : consumers.stopAndDrain();
    return drained.transform(done -> sealer == null ? Future.succeededFuture() : sealer.stop());
  }

  /**
   * One connection for the sealer. A sealing transaction left idle (its node hung or lost the
   * network while holding chain locks) is ended by the server, which frees the chains for others.
   */
  static Pool sealerPool(Vertx vertx, String pgUrl, AuditSettings settings) {
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(1).setName("fincloud-audit-sealer"))
        .connectingTo(DatabasePool.servers(vertx, pgUrl, PROBE_TIMEOUT_MS, connect -> connect
            .setCachePreparedStatements(true)
            .addProperty("application_name", "fincloud-audit-sealer")
            .addProperty("idle_in_transaction_session_timeout", Long.toString(settings.lockTimeoutSeconds() * 1000))))
        .using(vertx).build();
  }
}
