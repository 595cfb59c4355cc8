package fincloud.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntPredicate;

/**
 * Free ports for the servers a test starts, picked below the kernel's ephemeral range (32 768 and
 * up): a port the kernel hands out as free ({@code new ServerSocket(0)}) lies in that range, where
 * any outgoing connection (a pool's to PostgreSQL, say) may take it before the server binds it
 * ("Address already in use", seen in CI).
 */
public final class FreePorts {
  private static final int TRIES = 200;

  private FreePorts() {
  }

  /** Whether nothing listens on {@code port} of this machine now. */
  public static boolean free(int port) {
    try (ServerSocket socket = new ServerSocket(port)) {
      socket.setReuseAddress(true);
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** A random free port in [{@code from}, {@code to}) for which {@code also} holds. */
  public static int pick(int from, int to, IntPredicate also) {
    for (int tries = 0; tries < TRIES; tries++) {
      int port = ThreadLocalRandom.current().nextInt(from, to);
      if (free(port) && also.test(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port between " + from + " and " + to);
  }
}
