package fincloud.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The instant written digit by digit is the text the pattern gives, for any instant: every field
 * at its edges, fractions that would round up, other offsets, years outside four digits.
 */
class TimestampsTest {
  private static final DateTimeFormatter PATTERN =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  @Test
  void everyInstantIsWrittenAsThePatternWritesIt() {
    Random random = new Random(20261205);
    long max = Instant.parse("9999-12-31T23:59:59.999999999Z").getEpochSecond();
    long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    for (int i = 0; i < 200_000; i++) {
      Instant instant = Instant.ofEpochSecond(min + Math.floorMod(random.nextLong(), max - min + 1),
          random.nextInt(1_000_000_000));
      assertThat(Timestamps.format(instant)).isEqualTo(PATTERN.format(instant));
    }
  }

  @Test
  void edgesAndOtherYearsAsThePatternWritesThem() {
    for (String text : new String[] {"0000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59.999999999Z",
        "2026-12-05T09:00:00.000000500Z", "2024-02-29T12:34:56.123456789Z", "9999-12-31T23:59:59.999999999Z",
        "+10000-01-01T00:00:00Z", "-0001-12-31T23:59:59.5Z", "-1000000-06-15T01:02:03Z"}) {
      Instant instant = Instant.parse(text);
      assertThat(Timestamps.format(instant)).as(text).isEqualTo(PATTERN.format(instant));
    }
  }

  @Test
  void anOffsetTimeIsWrittenInUtc() {
    OffsetDateTime time = OffsetDateTime.parse("2026-12-05T23:30:00.654321+05:30");
    assertThat(Timestamps.format(time)).isEqualTo("2026-12-05T18:00:00.654321Z");
    assertThat(Timestamps.format((Instant) null)).isNull();
    assertThat(Timestamps.format((OffsetDateTime) null)).isNull();
  }
}
