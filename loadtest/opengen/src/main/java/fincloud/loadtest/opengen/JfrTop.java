package fincloud.loadtest.opengen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * The top costs in a Java Flight Recording of the node, from its execution samples, as Markdown
 * tables with the share of all samples: self time by package (which library the CPU went to),
 * the hottest methods, and FinCloud's own methods by total time (which of its steps costs what,
 * callees included). Enough to say where a missed target's CPU went.
 */
final class JfrTop {
  private JfrTop() {
  }

  static void print(Path file, int top) throws IOException {
    Map<String, Integer> packages = new HashMap<>();
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> ours = new HashMap<>();
    Map<String, Integer> threads = new HashMap<>();
    int samples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
      if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      RecordedStackTrace stack = event.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      samples++;
      List<RecordedFrame> frames = stack.getFrames();
      String topType = frames.get(0).getMethod().getType().getName();
      packages.merge(packageOf(topType), 1, Integer::sum);
      self.merge(name(frames.get(0)), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame frame : frames) {
        String name = name(frame);
        if (name.startsWith("fincloud.") && !name.contains("$$Lambda") && seen.add(name)) {
          ours.merge(name, 1, Integer::sum);
        }
      }
      RecordedThread thread = event.getThread("sampledThread");
      String threadName = thread == null || thread.getJavaName() == null ? "?" : thread.getJavaName();
      threads.merge(threadName.replaceAll("-\\d+$", "-N"), 1, Integer::sum);
    }
    System.out.printf("%d execution samples.%n%n", samples);
    table("threads", threads, samples, top);
    table("self time by package", packages, samples, top);
    table("methods by self time", self, samples, top);
    table("FinCloud methods by total time (callees included)", ours, samples, top);
  }

  private static void table(String title, Map<String, Integer> counts, int samples, int top) {
    System.out.printf("| %s | share of samples |%n|---|---|%n", title);
    counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
        .forEach(e -> System.out.printf("| `%s` | %.1f%% |%n", e.getKey(), 100.0 * e.getValue() / Math.max(1, samples)));
    System.out.println();
  }

  /** The first three parts of a package (io.vertx.pgclient, com.fasterxml.jackson, fincloud.gateway). */
  private static String packageOf(String type) {
    String[] parts = type.split("\\.");
    int keep = Math.min(3, parts.length - 1);
    return keep <= 0 ? type : String.join(".", java.util.Arrays.copyOf(parts, keep));
  }

  private static String name(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }
}
