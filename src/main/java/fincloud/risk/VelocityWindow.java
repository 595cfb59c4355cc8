package fincloud.risk;

import java.util.ArrayList;
import java.util.List;

/**
 * The transfers one debit account made recently, as time buckets of {@code [start, start + width)}
 * seconds holding a count and an amount. It is the value kept in cluster-wide shared data, written
 * as short text ({@code start:width:count:amount,...}) so that compare-and-set compares plain strings.
 *
 * <p>Buckets keep the state small whatever the traffic: one bucket per {@code width} seconds, and
 * the width is 1/{@value #BUCKETS_PER_WINDOW} of the longest window (at least a second). A bucket
 * counts for a window when any part of it lies inside the window, so the window is enforced
 * strictly: a transfer may be counted for up to one bucket width longer than the window, never
 * shorter.
 */
final class VelocityWindow {
  static final int BUCKETS_PER_WINDOW = 300;

  private static final int START = 0;
  private static final int WIDTH = 1;
  private static final int COUNT = 2;
  private static final int AMOUNT = 3;

  private final List<long[]> buckets;

  private VelocityWindow(List<long[]> buckets) {
    this.buckets = buckets;
  }

  static VelocityWindow empty() {
    return new VelocityWindow(new ArrayList<>());
  }

  /** The width of the buckets for a rule set whose longest window is {@code longestWindowSeconds}. */
  static long bucketSeconds(long longestWindowSeconds) {
    return Math.max(1, longestWindowSeconds / BUCKETS_PER_WINDOW);
  }

  static VelocityWindow parse(String text) {
    List<long[]> buckets = new ArrayList<>();
    if (text != null && !text.isEmpty()) {
      for (String bucket : text.split(",")) {
        String[] f = bucket.split(":");
        buckets.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
            Long.parseLong(f[3])});
      }
    }
    return new VelocityWindow(buckets);
  }

  String format() {
    StringBuilder text = new StringBuilder(buckets.size() * 24);
    for (long[] b : buckets) {
      if (!text.isEmpty()) {
        text.append(',');
      }
      text.append(b[START]).append(':').append(b[WIDTH]).append(':').append(b[COUNT]).append(':').append(b[AMOUNT]);
    }
    return text.toString();
  }

  boolean isEmpty() {
    return buckets.isEmpty();
  }

  long count(long windowSeconds, long nowMs) {
    long count = 0;
    for (long[] b : buckets) {
      if (inside(b, windowSeconds, nowMs)) {
        count += b[COUNT];
      }
    }
    return count;
  }

  long amount(long windowSeconds, long nowMs) {
    long amount = 0;
    for (long[] b : buckets) {
      if (inside(b, windowSeconds, nowMs)) {
        amount = saturatedAdd(amount, b[AMOUNT]);
      }
    }
    return amount;
  }

  /** Records one transfer now; answers the start of the bucket it went into (for a release). */
  long add(long nowMs, long widthSeconds, long amount) {
    long start = Math.floorDiv(Math.floorDiv(nowMs, 1000), widthSeconds) * widthSeconds;
    for (long[] b : buckets) {
      if (b[START] == start && b[WIDTH] == widthSeconds) {
        b[COUNT]++;
        b[AMOUNT] = saturatedAdd(b[AMOUNT], amount);
        return start;
      }
    }
    buckets.add(new long[] {start, widthSeconds, 1, amount});
    return start;
  }

  /** Takes back one transfer recorded by {@link #add}; false when its bucket is already gone. */
  boolean remove(long start, long widthSeconds, long amount) {
    for (int i = 0; i < buckets.size(); i++) {
      long[] b = buckets.get(i);
      if (b[START] == start && b[WIDTH] == widthSeconds && b[COUNT] > 0) {
        b[COUNT]--;
        b[AMOUNT] = Math.max(0, b[AMOUNT] - amount);
        if (b[COUNT] == 0) {
          buckets.remove(i);
        }
        return true;
      }
    }
    return false;
  }

  /** Forgets the buckets that no window of up to {@code longestWindowSeconds} can see any more. */
  void prune(long longestWindowSeconds, long nowMs) {
    buckets.removeIf(b -> !inside(b, longestWindowSeconds, nowMs));
  }

  private static boolean inside(long[] b, long windowSeconds, long nowMs) {
    return (b[START] + b[WIDTH]) * 1000 > nowMs - windowSeconds * 1000;
  }

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
