package fincloud.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Polls until a condition holds, with a generous deadline: tests wait for outcomes, never time
 * them. An attempt that throws counts as "not yet" (a node still starting, a row not yet sealed).
 * On timeout it fails, always the same way: with what was awaited, the last value seen and, when
 * the last attempt threw, that exception as the cause.
 */
public final class Eventually {
  private static final long POLL_INTERVAL_MS = 100;

  private Eventually() {
  }

  /** Answers the first value of {@code attempt} that {@code done} accepts. */
  public static <T> T until(String what, Duration deadline, Supplier<T> attempt, Predicate<? super T> done) {
    long end = System.nanoTime() + deadline.toNanos();
    T last = null;
    Throwable failure = null;
    while (true) {
      try {
        last = attempt.get();
        failure = null;
        if (done.test(last)) {
          return last;
        }
      } catch (RuntimeException | AssertionError e) {
        failure = e;
      }
      if (System.nanoTime() >= end) {
        throw new AssertionError("not within " + deadline + ": " + what + "; last seen: "
            + (failure == null ? Objects.toString(last) : failure), failure);
      }
      pause();
    }
  }

  public static void until(String what, Duration deadline, BooleanSupplier condition) {
    until(what, deadline, condition::getAsBoolean, Boolean.TRUE::equals);
  }

  private static void pause() {
    try {
      Thread.sleep(POLL_INTERVAL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while polling", e);
    }
  }
}
