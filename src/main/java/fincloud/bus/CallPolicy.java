package fincloud.bus;

import io.vertx.core.json.JsonObject;

/**
 * How one caller calls the services it depends on ({@link ServiceCalls}): the deadline of a call,
 * its retries included; how long one attempt of a call that may be repeated waits before it is sent
 * again; and when the downstream's circuit breaker opens and for how long.
 *
 * @param timeoutMs the deadline of one call, every attempt included
 * @param attemptTimeoutMs how long the first attempt of a call that may be repeated waits for its answer
 * @param maxFailures failures within {@code failureWindowMs} that open a breaker
 * @param resetTimeoutMs how long an open breaker refuses calls before one goes through again
 * @param failureWindowMs the window in which failures are counted
 */
public record CallPolicy(long timeoutMs, long attemptTimeoutMs, int maxFailures, long resetTimeoutMs,
    long failureWindowMs) {

  public CallPolicy {
    if (timeoutMs < 1 || attemptTimeoutMs < 1 || attemptTimeoutMs > timeoutMs || maxFailures < 1
        || resetTimeoutMs < 1 || failureWindowMs < 1) {
      throw new IllegalArgumentException("a call policy needs 1 <= attemptTimeoutMs <= timeoutMs and positive "
          + "breaker settings: " + this);
    }
  }

  /**
   * A caller's section of the configuration ({@code gateway} or {@code risk}): {@code timeoutMs}
   * (or {@code breaker.timeoutMs}), never more than {@code maxTimeoutMs}; {@code attemptTimeoutMs}
   * (half the timeout unless set); {@code breaker.maxFailures} (5), {@code breaker.resetTimeoutMs}
   * (2000) and {@code breaker.failureWindowMs} (10000).
   *
   * @param defaultTimeoutMs the deadline when the section sets none
   * @param maxTimeoutMs a deadline the caller itself must keep (the gateway's request deadline)
   */
  public static CallPolicy from(JsonObject section, long defaultTimeoutMs, long maxTimeoutMs) {
    JsonObject breaker = section.getJsonObject("breaker", new JsonObject());
    long timeoutMs = Math.min(maxTimeoutMs, breaker.getLong("timeoutMs", section.getLong("timeoutMs",
        defaultTimeoutMs)));
    long attemptTimeoutMs = Math.min(timeoutMs, section.getLong("attemptTimeoutMs", Math.max(1, timeoutMs / 2)));
    return new CallPolicy(timeoutMs, attemptTimeoutMs, breaker.getInteger("maxFailures", 5),
        breaker.getLong("resetTimeoutMs", 2000L), breaker.getLong("failureWindowMs", 10_000L));
  }

  /** What a client should wait before calling a service whose breaker is open, in whole seconds. */
  public long retryAfterSeconds() {
    return Math.max(1, (resetTimeoutMs + 999) / 1000);
  }
}
