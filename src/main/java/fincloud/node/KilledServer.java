package fincloud.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a PostgreSQL server killed with kill -9 leaves in its data directory, and the wait until a
 * new server may start there. A new postmaster refuses to start while the pid in
 * {@code postmaster.pid} answers a signal, which a killed process does until its parent reaps it
 * (here init, which may take seconds, or never in a container without one), or while the killed
 * server's backends, which notice their postmaster's death only a moment later, are still attached
 * to its shared memory; and pg_ctl's refusal surfaced only as a connect timeout a minute later.
 * So the start waits until no process uses the old shared memory, and then removes a lock file
 * whose pid is a zombie or another program (Linux: {@code /proc}; elsewhere PostgreSQL decides
 * alone). A server still running without the JVM that started it is stopped first; one whose JVM
 * lives is never touched.
 */
final class KilledServer {
  private static final Logger LOG = LoggerFactory.getLogger(KilledServer.class);
  private static final Path PROC = Path.of("/proc");
  /** The longest a fast shutdown is waited for before the orphan is killed. */
  private static final long FAST_SHUTDOWN_MAX_NANOS = 20_000_000_000L;

  private enum Holder { GONE, ZOMBIE, THIS_SERVER, ANOTHER_PROGRAM }

  private KilledServer() {
  }

  /**
   * Blocking. Returns once no process of an earlier server holds the data directory; throws if one
   * still does after {@code within}, and at once if another live node (its JVM) uses the directory.
   */
  static void awaitGone(Path dataDirectory, Duration within) throws IOException {
    // One form of the path, whatever the caller's ("./data", "data/../data", a symbolic link), to
    // compare with the -D of a postmaster's command line.
    Path pgData = dataDirectory.toAbsolutePath().normalize();
    refuseIfInUse(pgData);
    Path pidFile = pgData.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile) || !Files.isDirectory(PROC.resolve("self"))) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile);
    if (lines.isEmpty() || lines.get(0).isBlank()) {
      return;
    }
    long pid = Long.parseLong(lines.get(0).trim());
    String[] shm = lines.size() > 6 ? lines.get(6).trim().split("\\s+") : new String[0];
    String shmId = shm.length == 2 ? shm[1] : null;
    long started = System.nanoTime();
    long deadline = started + within.toNanos();
    if (holder(pid, pgData) == Holder.THIS_SERVER) {
      stopIfOrphaned(pgData, pid, deadline);
    }
    boolean waited = false;
    while (true) {
      Holder holder = holder(pid, pgData);
      long attached = attachments(shmId);
      if (attached == 0 && holder == Holder.GONE) {
        break;
      }
      if (attached == 0 && holder != Holder.THIS_SERVER) {
        // Nothing uses the old server's memory; the pid that PostgreSQL would take for a running
        // postmaster is a killed one not yet reaped, or was reused: the lock file is stale.
        LOG.warn("{} names pid {}, which is {}: removing the stale lock file", pidFile, pid,
            holder == Holder.ZOMBIE ? "a killed process not yet reaped" : "another program now");
        Files.deleteIfExists(pidFile);
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(holder == Holder.THIS_SERVER
            ? "PostgreSQL (pid " + pid + ") still runs on " + pgData + ": stop it first"
            : attached + " processes of a killed PostgreSQL server still use its shared memory (id " + shmId
                + "); end them (ps -ef | grep 'postgres:') and start again");
      }
      sleep();
      waited = true;
    }
    if (waited) {
      LOG.info("waited {} ms for the processes of an earlier PostgreSQL server (pid {}) to go away",
          (System.nanoTime() - started) / 1_000_000, pid);
    }
  }

  /**
   * Another node (another live JVM) holds the directory's {@code epg-lock}: its server is alive and
   * serving it. Say so and touch nothing, rather than wait for a server that will not go away.
   */
  private static void refuseIfInUse(Path pgData) throws IOException {
    Path lockFile = pgData.resolve("epg-lock");
    if (!Files.isRegularFile(lockFile)) {
      return;
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock()) {
      if (lock == null) {
        throw new IllegalStateException("the data folder " + pgData.getParent() + " is in use by another running "
            + "node (its PostgreSQL server runs on " + pgData + "): give each node its own FINCLOUD_DATA_DIR; "
            + "nothing was touched");
      }
    } catch (OverlappingFileLockException heldHere) {
      // this JVM runs that server (a restart within one process): the wait below decides
    }
  }

  /**
   * A server whose JVM died (kill -9 of the node, or of {@code fincloud.jar postgres}) runs on
   * without it, and no new server could start on its data until someone stopped it by hand. No
   * live process then holds the data directory's {@code epg-lock} (the JVM's file lock died with
   * it), which tells such an orphan from a server whose JVM lives (left alone). The orphan is
   * stopped with a fast shutdown (clean, no recovery needed; its clients are cut off, as they
   * were by the death of its JVM), or killed if it does not stop in time.
   */
  private static void stopIfOrphaned(Path pgData, long pid, long deadline) throws IOException {
    try (FileChannel channel = FileChannel.open(pgData.resolve("epg-lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock lock = channel.tryLock()) {
      if (lock == null) {
        return;
      }
      LOG.warn("PostgreSQL (pid {}) runs on {} without the process that started it: stopping it", pid, pgData);
      try {
        new ProcessBuilder("kill", "-INT", Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while stopping an orphaned PostgreSQL server", e);
      }
      // Half the time left at most, so that a server that ignores SIGINT is still killed and seen
      // gone within the caller's wait.
      long now = System.nanoTime();
      long fastDeadline = now + Math.min(FAST_SHUTDOWN_MAX_NANOS, Math.max(0, deadline - now) / 2);
      while (holder(pid, pgData) == Holder.THIS_SERVER && System.nanoTime() < fastDeadline) {
        sleep();
      }
      if (holder(pid, pgData) == Holder.THIS_SERVER) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    } catch (OverlappingFileLockException heldHere) {
      // this JVM runs that server: leave it
    }
  }

  private static Holder holder(long pid, Path pgData) {
    Path process = PROC.resolve(Long.toString(pid));
    try {
      String stat = Files.readString(process.resolve("stat"));
      // pid (comm) state ...: comm may hold spaces and parentheses, so read after the last ')'.
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      if (state == 'Z' || state == 'X') {
        return Holder.ZOMBIE;
      }
      // The postmaster's command line names its data directory (-D); its backends' do not.
      String command = Files.readString(process.resolve("cmdline")).replace('\0', ' ').replace("/./", "/");
      return names(command, pgData) ? Holder.THIS_SERVER : Holder.ANOTHER_PROGRAM;
    } catch (IOException | RuntimeException gone) {
      return Holder.GONE;
    }
  }

  /** Whether a command line names the directory, in its normalized or its real (links resolved) form. */
  private static boolean names(String command, Path pgData) {
    if (command.contains(pgData.toString())) {
      return true;
    }
    try {
      return command.contains(pgData.toRealPath().toString());
    } catch (IOException gone) {
      return false;
    }
  }

  /** Processes attached to a System V shared memory segment (0 when it is gone or unknown). */
  private static long attachments(String shmId) {
    if (shmId == null) {
      return 0;
    }
    try {
      List<String> rows = Files.readAllLines(PROC.resolve("sysvipc/shm"));
      List<String> header = List.of(rows.get(0).trim().split("\\s+"));
      int idColumn = header.indexOf("shmid");
      int attachColumn = header.indexOf("nattch");
      for (String row : rows.subList(1, rows.size())) {
        String[] fields = row.trim().split("\\s+");
        if (fields[idColumn].equals(shmId)) {
          return Long.parseLong(fields[attachColumn]);
        }
      }
      return 0;
    } catch (IOException | RuntimeException unreadable) {
      return 0;
    }
  }

  /** Reached only from {@link #awaitGone}, which the node's main thread runs before Vert.x starts. */
  private static void sleep() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for an earlier PostgreSQL server to go away", e);
    }
  }
}
