package fincloud.audit;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;

/**
 * The points of a sealing round, in order, where tests crash the sealer (fail the round or kill
 * its database connection) to show that no record is lost or sealed twice.
 */
@FunctionalInterface
interface SealingProbe {
  enum Step {
    /** The tenants' chain locks are held; nothing read yet. */
    LOCKED,
    /** The outbox rows and chain heads are read; nothing written. */
    READ,
    /** The records are appended and their outbox rows deleted; not committed. */
    WRITTEN,
    /** Committed; subscribers not told yet. */
    COMMITTED
  }

  /** @param transaction the round's connection, inside its transaction (null once committed) */
  Future<Void> reached(Step step, SqlConnection transaction);

  SealingProbe NONE = (step, transaction) -> Future.succeededFuture();
}
