package fincloud.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Server-Timing entries are written without a formatter, and read as a formatter wrote them. */
class StageTimesTest {
  @Test
  void anEntryIsMillisecondsWithThreeDecimalsRoundedHalfUp() {
    assertThat(StageTimes.entry("total", 0)).isEqualTo("total;dur=0.000");
    assertThat(StageTimes.entry("total", 1_234_567)).isEqualTo("total;dur=1.235");
    assertThat(StageTimes.entry("total", 1_234_499)).isEqualTo("total;dur=1.234");
    assertThat(StageTimes.entry("db", 12_000_000_000L)).isEqualTo("db;dur=12000.000");
    assertThat(StageTimes.entry("db", 9_500)).isEqualTo("db;dur=0.010");
    assertThat(StageTimes.entry("db", 99_999)).isEqualTo("db;dur=0.100");
  }

  @Test
  void anEntryReadsAsTheFormatterWroteItForAnyDuration() {
    Random random = new Random(20261204);
    for (int i = 0; i < 100_000; i++) {
      long nanos = switch (i % 3) {
        case 0 -> random.nextInt(1_000_000);
        case 1 -> random.nextInt(100_000_000);
        default -> Math.abs(random.nextLong() % 100_000_000_000L);
      };
      // Halfway cases (x.5 µs) may round apart in binary floating point; the reading is the same to the µs.
      String formatted = String.format(Locale.ROOT, "%.3f", nanos / 1e6);
      String written = StageTimes.entry("s", nanos).substring("s;dur=".length());
      assertThat(Math.abs(Double.parseDouble(written) - Double.parseDouble(formatted))).as("%d ns", nanos)
          .isLessThanOrEqualTo(0.0010001);
    }
  }
}
