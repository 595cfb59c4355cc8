package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock file a killed PostgreSQL server leaves behind (the real kill -9 and restart run in
 * {@code PostgresKillFaultIT}): a pid now used by another program is a stale lock, removed; a pid
 * that is gone is left to PostgreSQL; a server still running after its JVM died is stopped, one
 * whose JVM lives (it holds the data directory's lock) is never touched.
 */
class KilledServerTest {
  @TempDir
  Path dataDir;
  Path pidFile;

  @BeforeEach
  void linuxOnly() {
    assumeTrue(Files.isDirectory(Path.of("/proc/self")), "reads /proc");
    pidFile = dataDir.resolve("postmaster.pid");
  }

  @Test
  void aPidNowUsedByAnotherProgramIsAStaleLock() throws Exception {
    lockFile(ProcessHandle.current().pid());
    KilledServer.awaitGone(dataDir, Duration.ofSeconds(5));
    assertThat(pidFile).doesNotExist();
  }

  @Test
  void aPidThatIsGoneIsLeftToPostgres() throws Exception {
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor(10, TimeUnit.SECONDS);
    long pid = ended.pid();
    // reaped by waitFor: the pid names no process now (unless the system gave it out again already)
    assumeTrue(ProcessHandle.of(pid).isEmpty());
    lockFile(pid);
    KilledServer.awaitGone(dataDir, Duration.ofSeconds(5));
    assertThat(pidFile).exists();
  }

  @Test
  void aServerWhoseJvmLivesIsNeverTouched() throws Exception {
    Process server = fakeServer();
    // The JVM that started it holds the data directory's lock (here: this one).
    try (FileChannel channel = FileChannel.open(dataDir.resolve("epg-lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock held = channel.lock()) {
      lockFile(server.pid());
      assertThatThrownBy(() -> KilledServer.awaitGone(dataDir, Duration.ofMillis(500)))
          .hasMessageContaining("still runs on");
      assertThat(server.isAlive()).isTrue();
      assertThat(pidFile).exists();
    } finally {
      server.destroyForcibly();
    }
  }

  @Test
  void aServerWhoseJvmDiedIsStoppedFirst() throws Exception {
    assertStoppedWithin(fakeServer(), dataDir, Duration.ofSeconds(20));
  }

  @Test
  void anOrphanThatIgnoresTheFastShutdownIsKilledWithinTheWait() throws Exception {
    // A background job of a shell ignores SIGINT, and so does what it starts.
    Path file = Files.writeString(dataDir.resolve("postmaster.opts"), "");
    assertStoppedWithin(new ProcessBuilder("sh", "-c", "trap '' INT; exec tail -f " + file).start(), dataDir,
        Duration.ofSeconds(6));
  }

  @Test
  void anOrphanIsRecognizedWhateverFormTheDataPathHas() throws Exception {
    // The README's default, ./fincloud-data, made the postmaster's -D read /..././fincloud-data/postgres.
    Files.writeString(dataDir.resolve("postmaster.opts"), "");
    assertStoppedWithin(new ProcessBuilder("tail", "-f", dataDir + "/./postmaster.opts").start(),
        dataDir.resolve("."), Duration.ofSeconds(20));
  }

  @Test
  void aSecondNodeOnAFolderInUseSaysSoAtOnceAndLeavesTheServerAlone() throws Exception {
    Process server = fakeServer();
    Process firstNode = lockHolder(dataDir.resolve("epg-lock"));
    try {
      lockFile(server.pid());
      long started = System.nanoTime();
      assertThatThrownBy(() -> KilledServer.awaitGone(dataDir, Duration.ofSeconds(30)))
          .hasMessageContaining("is in use by another running node");
      assertThat((System.nanoTime() - started) / 1_000_000).as("at once, not after the wait").isLessThan(5_000);
      assertThat(server.isAlive()).isTrue();
      assertThat(pidFile).exists();
    } finally {
      firstNode.destroyForcibly();
      server.destroyForcibly();
    }
  }

  /** The orphan named by the lock file is stopped by a wait on {@code pgData} of {@code within}. */
  private void assertStoppedWithin(Process orphan, Path pgData, Duration within) throws Exception {
    try {
      lockFile(orphan.pid());
      KilledServer.awaitGone(pgData, within);
      assertThat(orphan.waitFor(10, TimeUnit.SECONDS)).as("stopped").isTrue();
    } finally {
      orphan.destroyForcibly();
    }
  }

  /** A process whose command line names the data directory, as a postmaster's (-D) does. */
  private Process fakeServer() throws Exception {
    Path file = Files.writeString(dataDir.resolve("postmaster.opts"), "");
    return new ProcessBuilder("tail", "-f", file.toString()).start();
  }

  /** Another JVM that holds {@code lockFile}, as the node running the server does; returns once it holds it. */
  private Process lockHolder(Path lockFile) throws Exception {
    Path source = Files.writeString(dataDir.resolve("LockHolder.java"), """
        import java.nio.channels.FileChannel;
        import java.nio.file.Path;
        import java.nio.file.StandardOpenOption;
        public class LockHolder {
          public static void main(String[] args) throws Exception {
            FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            channel.lock();
            System.out.println("locked");
            Thread.sleep(120_000);
          }
        }
        """);
    String java = ProcessHandle.current().info().command().orElse("java");
    Process holder = new ProcessBuilder(java, source.toString(), lockFile.toString()).start();
    try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream()))) {
      assertThat(out.readLine()).isEqualTo("locked");
    }
    return holder;
  }

  private void lockFile(long pid) throws Exception {
    // The layout of postmaster.pid: pid, data directory, start time, port, socket directory,
    // listen address, shared memory key and id, status.
    Files.writeString(pidFile, pid + "\n" + dataDir + "\n1795696092\n5432\n\n127.0.0.1\n  2982977    999999999\nready   \n");
  }
}
