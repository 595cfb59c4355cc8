package fincloud.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A small property runner: each case draws its attack from its own {@link Random}, seeded from
 * the run's seed, the property's name and the case's number, so that any failing case can be
 * replayed alone. Every case is checked against the {@link Contract}; the failures are collected
 * and reported together, each with the request that caused it.
 *
 * <p>Replay: {@code -Dfincloud.fuzz.seed=<seed> [-Dfincloud.fuzz.case=<n>]}; more or fewer cases:
 * {@code -Dfincloud.fuzz.scale=<factor>}.
 */
final class Fuzz {
  static final long SEED = Long.getLong("fincloud.fuzz.seed", new Random().nextLong());
  private static final Integer ONLY_CASE = Integer.getInteger("fincloud.fuzz.case");
  private static final double SCALE = Double.parseDouble(System.getProperty("fincloud.fuzz.scale", "1"));
  private static final int REPORTED = 15;

  /**
   * One attack and what judges its answer.
   *
   * @param tenant the caller's tenant when the attack carries a valid token, else null
   * @param malformed the request breaks HTTP's own syntax, so the server may just close
   */
  record Attack(String label, RawHttp.Request request, Contract.Kind kind, String tenant, boolean malformed) {
  }

  private final HostileNode node;
  /** Per attack label, how often each status came back (a negative status: closed without answer). */
  private final Map<String, Map<Integer, Integer>> outcomes = new TreeMap<>();
  /** Cases that took long, to keep the suite fast (printed, never asserted: no timing assertions). */
  private final List<String> slow = new ArrayList<>();
  private static final long SLOW_MS = 500;

  Fuzz(HostileNode node) {
    this.node = node;
  }

  /** When one case is replayed, its body is kept in target/ to look at. */
  private static void dump(byte[] body) {
    try {
      java.nio.file.Files.write(java.nio.file.Path.of("target", "fuzz-case.body"), body);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static int tries(int normal) {
    return Math.max(1, (int) Math.round(normal * SCALE));
  }

  /** Runs the cases and fails with every broken promise it saw. */
  void run(String property, int tries, Function<Random, Attack> attacks) {
    List<String> failures = new ArrayList<>();
    int failed = 0;
    int ran = 0;
    long started = System.nanoTime();
    for (int n = 0; n < tries; n++) {
      if (ONLY_CASE != null && ONLY_CASE != n) {
        continue;
      }
      ran++;
      Attack attack = attacks.apply(new Random(SEED ^ property.hashCode() * 0x9E3779B97F4A7C15L ^ n * 0xC2B2AE3D27D4EB4FL));
      if (ONLY_CASE != null && attack.request().body() != null) {
        dump(attack.request().body());
      }
      List<String> wrong = new ArrayList<>();
      String answer;
      int status;
      long sent = System.nanoTime();
      long tookMs = -1;
      try {
        RawHttp.Response response = node.raw.send(attack.request());
        tookMs = (System.nanoTime() - sent) / 1_000_000;
        status = response.status();
        answer = response.describe();
        wrong.addAll(Contract.violations(attack.request(), response, attack.kind(), attack.tenant(), node));
      } catch (RawHttp.NoAnswer none) {
        status = -1;
        answer = none.getMessage();
        if (!attack.malformed() || answer.startsWith("no answer within")) {
          wrong.add(answer);
        }
      }
      outcomes.computeIfAbsent(attack.label(), l -> new TreeMap<>()).merge(status, 1, Integer::sum);
      if (tookMs < 0) {
        tookMs = (System.nanoTime() - sent) / 1_000_000;
      }
      if (tookMs > SLOW_MS) {
        slow.add(tookMs + " ms: case " + n + " [" + attack.label() + "] " + attack.request().describe()
            + " -> " + RawHttp.cut(answer, 200));
      }
      if (!wrong.isEmpty()) {
        failed++;
        if (failures.size() < REPORTED) {
          failures.add("case " + n + " [" + attack.label() + "] " + wrong + "\n  " + attack.request().describe()
              + "\n  -> " + answer);
        }
      }
    }
    System.out.printf("fuzz %s: %d cases in %d ms, seed %d, failed %d%n", property, ran,
        (System.nanoTime() - started) / 1_000_000, SEED, failed);
    outcomes.forEach((label, statuses) -> System.out.printf("  %-28s %s%n", label, statuses));
    outcomes.clear();
    slow.forEach(line -> System.out.println("  slow " + line));
    slow.clear();
    assertThat(failures).as("%s: %d of %d cases broke the contract (replay with -Dfincloud.fuzz.seed=%d)",
        property, failed, ran, SEED).isEmpty();
  }
}
