package fincloud.shared;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * Instants on the wire: ISO-8601 in UTC with exactly six fraction digits (PostgreSQL keeps
 * microseconds), e.g. {@code 2026-11-26T11:14:47.123456Z}.
 */
public final class Timestamps {
  private Timestamps() {
  }

  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  public static String format(OffsetDateTime time) {
    return time == null ? null : MICROS.format(time.toInstant());
  }

  public static String format(Instant time) {
    return time == null ? null : MICROS.format(time);
  }

  /** Now, to the microsecond, so that what is answered equals what is stored. */
  public static Instant now() {
    return now(Clock.systemUTC());
  }

  /** Now on {@code clock} (a test moves it forward instead of waiting), to the microsecond. */
  public static Instant now(Clock clock) {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }
}
