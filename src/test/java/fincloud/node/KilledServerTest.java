package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock file a killed PostgreSQL server leaves behind (the real kill -9 and restart run in
 * {@code PostgresKillFaultIT}): a pid now used by another program is a stale lock, removed; a pid
 * that is gone is left to PostgreSQL; a live process serving this data directory is never touched.
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
  void aLiveServerOfThisDataIsNeverTouched() throws Exception {
    // A process whose command line names the data directory, as a postmaster's (-D) does.
    Process server = new ProcessBuilder("sh", "-c", "sleep 30; true", dataDir.toString()).start();
    try {
      lockFile(server.pid());
      assertThatThrownBy(() -> KilledServer.awaitGone(dataDir, Duration.ofMillis(500)))
          .hasMessageContaining("still runs on");
      assertThat(pidFile).exists();
    } finally {
      server.destroyForcibly();
    }
  }

  private void lockFile(long pid) throws Exception {
    // The layout of postmaster.pid: pid, data directory, start time, port, socket directory,
    // listen address, shared memory key and id, status.
    Files.writeString(pidFile, pid + "\n" + dataDir + "\n1795696092\n5432\n\n127.0.0.1\n  2982977    999999999\nready   \n");
  }
}
