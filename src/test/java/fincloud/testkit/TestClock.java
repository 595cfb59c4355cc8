package fincloud.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The system clock plus an offset that a test moves forward, so that a hold expires without the
 * test waiting for it. Give one to the nodes that must agree on the time (it is safe to read from
 * any thread); time never goes back.
 */
public final class TestClock extends Clock {
  private volatile Duration offset = Duration.ZERO;

  /** Moves this clock {@code by} forward. */
  public void advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("time never goes back: " + by);
    }
    synchronized (this) {
      offset = offset.plus(by);
    }
  }

  @Override
  public Instant instant() {
    return Instant.now().plus(offset);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a test clock is in UTC");
  }
}
