package fincloud.bus;

import fincloud.shared.ConfigSection;

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
   * (in the section, or in its {@code breaker}), held to {@code maxTimeoutMs};
   * {@code attemptTimeoutMs}, held to the timeout; {@code breaker.maxFailures},
   * {@code breaker.resetTimeoutMs} and {@code breaker.failureWindowMs}. Every key is in the
   * defaults file; a bad value is refused naming its key.
   *
   * @param maxTimeoutMs a deadline the caller itself must keep (the gateway's request deadline)
   */
  public static CallPolicy from(ConfigSection section, long maxTimeoutMs) {
    ConfigSection breaker = section.section("breaker");
    ConfigSection withTimeout = breaker.keys().contains("timeoutMs") ? breaker : section;
    long timeoutMs = Math.min(maxTimeoutMs, withTimeout.longInteger("timeoutMs", 1, 600_000));
    long attemptTimeoutMs = Math.min(timeoutMs, section.longInteger("attemptTimeoutMs", 1, 600_000));
    return new CallPolicy(timeoutMs, attemptTimeoutMs, breaker.integer("maxFailures", 1, 1_000),
        breaker.longInteger("resetTimeoutMs", 1, 3_600_000), breaker.longInteger("failureWindowMs", 1, 3_600_000));
  }

  /** What a client should wait before calling a service whose breaker is open, in whole seconds. */
  public long retryAfterSeconds() {
    return Math.max(1, (resetTimeoutMs + 999) / 1000);
  }
}
