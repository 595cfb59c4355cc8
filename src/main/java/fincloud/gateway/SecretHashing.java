package fincloud.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;

/**
 * Where client secrets are checked against their PBKDF2 hashes: a worker pool of its own with a
 * few threads, so that a flood of wrong secrets cannot take the shared worker pool (database
 * driver, schema loading) with it, and a bounded number of checks waiting; past the bound a check
 * fails at once with {@link Busy}. One per gateway instance, on one pool per node (a shared worker
 * executor by name, which Vert.x closes with the last instance that uses it) and one count of
 * waiting checks per node ({@link TokenGuards}).
 */
final class SecretHashing {
  /** More checks are waiting than the bound: the caller answers 503 at once. */
  static final class Busy extends RuntimeException {
    Busy() {
      super("secret checks are at their bound", null, false, false);
    }
  }

  private final WorkerExecutor executor;
  private final int maxWaiting;
  private final AtomicInteger waiting;
  private final BiPredicate<String, String> matcher;

  /**
   * @param matcher (secret, stored form) to whether they match: {@link SecretHash#matches}, or a
   *     test's that counts derivations
   */
  SecretHashing(Vertx vertx, int threads, int maxWaiting, BiPredicate<String, String> matcher) {
    this(vertx, threads, maxWaiting, new AtomicInteger(), matcher);
  }

  /** @param waiting the node's count of checks waiting or running, shared by its gateway instances */
  SecretHashing(Vertx vertx, int threads, int maxWaiting, AtomicInteger waiting, BiPredicate<String, String> matcher) {
    this.executor = vertx.createSharedWorkerExecutor("fincloud-secret-hashing", threads);
    this.maxWaiting = maxWaiting;
    this.waiting = waiting;
    this.matcher = matcher;
  }

  Future<Boolean> matches(String secret, String stored) {
    if (waiting.incrementAndGet() > maxWaiting) {
      waiting.decrementAndGet();
      return Future.failedFuture(new Busy());
    }
    return executor.executeBlocking(() -> matcher.test(secret, stored), false)
        .andThen(done -> waiting.decrementAndGet());
  }
}
