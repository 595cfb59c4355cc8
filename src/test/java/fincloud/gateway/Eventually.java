package fincloud.gateway;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polls until a condition holds, with a generous deadline: tests wait for outcomes, never time them. */
final class Eventually {
  private Eventually() {
  }

  static <T> T until(Duration deadline, Supplier<T> attempt, Predicate<T> done) {
    long end = System.nanoTime() + deadline.toNanos();
    T last = null;
    while (System.nanoTime() < end) {
      last = attempt.get();
      if (done.test(last)) {
        return last;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("not reached within " + deadline + "; last seen: " + last);
  }
}
