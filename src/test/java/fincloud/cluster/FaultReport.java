package fincloud.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The short Markdown report a fault run leaves in {@code loadtest/results/<date>-faults-<name>.md}
 * (the folder is {@code -Dfincloud.results}): what was done, how often, what was checked, and the
 * outcome. Written even when a check fails, so that a failed run says what it saw.
 */
final class FaultReport {
  private final String name;
  private final String title;
  private final Path folder;
  private final Instant started = Instant.now();
  private final List<String> done = new ArrayList<>();
  private final List<String> checks = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();

  FaultReport(String name, String title) {
    this(name, title, Path.of(System.getProperty("fincloud.results", "loadtest/results")));
  }

  FaultReport(String name, String title, Path folder) {
    this.name = name;
    this.title = title;
    this.folder = folder;
  }

  /** A step of the run, in the order it happened. */
  synchronized void did(String format, Object... args) {
    String line = String.format(format, args);
    done.add(line);
    System.out.printf("[%s] %s%n", name, line);
  }

  /** A check and whether it held; a failed check fails the run (see {@link #assertAllHeld()}). */
  synchronized boolean check(boolean held, String format, Object... args) {
    String line = String.format(format, args);
    checks.add((held ? "**held** " : "**FAILED** ") + line);
    if (!held) {
      failures.add(line);
    }
    System.out.printf("[%s] %s %s%n", name, held ? "held:" : "FAILED:", line);
    return held;
  }

  /** A free-form section (a table, an observation). */
  synchronized void note(String markdown) {
    notes.add(markdown);
  }

  /** A process's log lines (the last 30 but the access log's one line per request) as a section. */
  void log(String processName, String logText) {
    List<String> lines = logText.lines().filter(line -> !line.contains(" access - ")).toList();
    note("## " + processName + " log (the last lines, requests left out)\n\n```\n"
        + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())) + "\n```\n");
  }

  synchronized List<String> failures() {
    return List.copyOf(failures);
  }

  /** Writes the report; returns its path. */
  synchronized Path write() {
    Path file = folder.resolve(LocalDate.now(ZoneOffset.UTC) + "-faults-" + name + ".md");
    StringBuilder text = new StringBuilder();
    text.append("# ").append(title).append(", ").append(LocalDate.now(ZoneOffset.UTC)).append("\n\n");
    text.append("Outcome: **").append(failures.isEmpty() ? "every check held" : failures.size() + " check(s) failed")
        .append("**. Run from ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(" for ")
        .append(Duration.between(started, Instant.now()).toSeconds()).append(" s on ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cores (load average at the end: ")
        .append(loadAverage()).append("), everything on 127.0.0.1.\n\n");
    text.append("## What was done\n\n");
    done.forEach(line -> text.append("- ").append(line).append('\n'));
    text.append("\n## What was checked\n\n");
    checks.forEach(line -> text.append("- ").append(line).append('\n'));
    for (String note : notes) {
      text.append('\n').append(note.strip()).append('\n');
    }
    try {
      Files.createDirectories(folder);
      Files.writeString(file, text.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.printf("[%s] report: %s%n", name, file.toAbsolutePath());
    return file;
  }

  /** Throws listing every failed check. */
  void assertAllHeld() {
    List<String> failed = failures();
    if (!failed.isEmpty()) {
      throw new AssertionError(name + ": " + failed.size() + " check(s) failed:\n- " + String.join("\n- ", failed));
    }
  }

  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
