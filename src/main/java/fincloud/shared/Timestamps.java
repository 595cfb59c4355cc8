package fincloud.shared;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
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
    return time == null ? null : format(time.toInstant());
  }

  /**
   * Written digit by digit for the years 0 to 9999 (every stored instant): the audit chain formats
   * one per record it verifies, a million in a full verification, and the formatter costs several
   * times as much. Other years go through the formatter, which signs them.
   */
  public static String format(Instant time) {
    if (time == null) {
      return null;
    }
    LocalDateTime utc = LocalDateTime.ofEpochSecond(time.getEpochSecond(), time.getNano(), ZoneOffset.UTC);
    int year = utc.getYear();
    if (year < 0 || year > 9999) {
      return MICROS.format(time);
    }
    byte[] text = new byte[27];
    digits(text, 0, year, 4);
    text[4] = '-';
    digits(text, 5, utc.getMonthValue(), 2);
    text[7] = '-';
    digits(text, 8, utc.getDayOfMonth(), 2);
    text[10] = 'T';
    digits(text, 11, utc.getHour(), 2);
    text[13] = ':';
    digits(text, 14, utc.getMinute(), 2);
    text[16] = ':';
    digits(text, 17, utc.getSecond(), 2);
    text[19] = '.';
    // the formatter truncates the fraction to six digits, it does not round
    digits(text, 20, time.getNano() / 1000, 6);
    text[26] = 'Z';
    return new String(text, StandardCharsets.US_ASCII);
  }

  private static void digits(byte[] text, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      text[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
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
