package fincloud.risk;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VelocityWindowTest {
  private static final long NOW = 1_700_000_000_500L;

  @Test
  void countsAndSumsWhatIsInsideTheWindow() {
    VelocityWindow window = VelocityWindow.empty();
    window.add(NOW - 30_000, 1, 100);
    window.add(NOW - 30_000, 1, 50);
    window.add(NOW, 1, 7);
    assertThat(window.count(60, NOW)).isEqualTo(3);
    assertThat(window.amount(60, NOW)).isEqualTo(157);
    assertThat(window.count(10, NOW)).isEqualTo(1);
    assertThat(window.count(60, NOW + 31_000)).isEqualTo(1);
  }

  @Test
  void survivesItsTextForm() {
    VelocityWindow window = VelocityWindow.empty();
    window.add(NOW, 12, 100);
    window.add(NOW - 20_000, 12, 1);
    VelocityWindow copy = VelocityWindow.parse(window.format());
    assertThat(copy.format()).isEqualTo(window.format());
    assertThat(copy.count(3600, NOW)).isEqualTo(2);
    assertThat(VelocityWindow.parse(null).isEmpty()).isTrue();
    assertThat(VelocityWindow.parse("").isEmpty()).isTrue();
  }

  @Test
  void aReleaseTakesBackOneTransfer() {
    VelocityWindow window = VelocityWindow.empty();
    long start = window.add(NOW, 1, 100);
    window.add(NOW, 1, 30);
    assertThat(window.remove(start, 1, 100)).isTrue();
    assertThat(window.count(60, NOW)).isEqualTo(1);
    assertThat(window.amount(60, NOW)).isEqualTo(30);
    assertThat(window.remove(start, 1, 30)).isTrue();
    assertThat(window.isEmpty()).isTrue();
    assertThat(window.remove(start, 1, 30)).isFalse();
  }

  @Test
  void pruneForgetsWhatNoWindowSees() {
    VelocityWindow window = VelocityWindow.empty();
    window.add(NOW - 120_000, 1, 1);
    window.add(NOW, 1, 1);
    window.prune(60, NOW);
    assertThat(window.count(3600, NOW)).isEqualTo(1);
  }

  @Test
  void bucketsAreAtMostAFractionOfTheLongestWindow() {
    assertThat(VelocityWindow.bucketSeconds(60)).isEqualTo(1);
    assertThat(VelocityWindow.bucketSeconds(86_400)).isEqualTo(288);
  }

  @Test
  void aBucketCountsUntilAllOfItHasLeftTheWindow() {
    VelocityWindow window = VelocityWindow.empty();
    window.add(NOW, 10, 1);
    long bucketEnd = (NOW / 10_000 + 1) * 10_000;
    assertThat(window.count(60, bucketEnd + 60_000 - 1)).isEqualTo(1);
    assertThat(window.count(60, bucketEnd + 60_000)).isZero();
  }
}
