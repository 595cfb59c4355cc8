package fincloud.audit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.function.LongConsumer;

/**
 * Feeds a chain's records after a seq to a verifier, a page at a time, reading the next page
 * while a worker hashes this one: the database's reading, the event loop's decoding and the
 * hashing overlap instead of taking turns. One page is read ahead, no more; each page is let go
 * once hashed (pages are passed from step to step, not held by a chain of composed futures).
 */
final class ChainWalk {
  static final int PAGE = 5000;

  private final Vertx vertx;
  private final SqlConnection connection;
  private final String pageQuery;
  private final String tenant;
  private final ChainVerifier verifier;
  private final LongConsumer progress;
  private final Promise<Void> done = Promise.promise();

  /**
   * @param pageQuery the records of {@code $1} with seq after {@code $2}, by seq, at most
   *     {@code $3}, their columns {@link ChainRecord#COLUMNS}
   * @param progress told the number of records recomputed after every page
   */
  ChainWalk(Vertx vertx, SqlConnection connection, String pageQuery, String tenant, ChainVerifier verifier,
      LongConsumer progress) {
    this.vertx = vertx;
    this.connection = connection;
    this.pageQuery = pageQuery;
    this.tenant = tenant;
    this.verifier = verifier;
    this.progress = progress;
  }

  /** Walks to the chain's end; completes when every record was given to the verifier. */
  Future<Void> from(long after) {
    step(read(after));
    return done.future();
  }

  private Future<RowSet<Row>> read(long after) {
    return connection.preparedQuery(pageQuery).execute(Tuple.of(tenant, after, PAGE));
  }

  private void step(Future<RowSet<Row>> page) {
    page.compose(rows -> {
      Future<RowSet<Row>> next = rows.size() < PAGE ? null : read(lastSeq(rows));
      // hashing thousands of records is CPU work: not on the event loop, and in seq order
      return vertx.executeBlocking(() -> {
        rows.forEach(row -> verifier.accept(ChainRecord.fromRow(row)));
        return next;
      }, true);
    }).onSuccess(next -> {
      progress.accept(verifier.checked());
      if (next == null) {
        done.complete();
      } else {
        step(next);
      }
    }).onFailure(done::fail);
  }

  private static long lastSeq(RowSet<Row> rows) {
    long last = 0;
    for (Row row : rows) {
      last = row.getLong(0);
    }
    return last;
  }
}
