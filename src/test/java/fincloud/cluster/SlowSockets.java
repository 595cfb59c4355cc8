package fincloud.cluster;

import fincloud.testkit.RawConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Hostile connections to one port, held from the test JVM: idle sockets that never send a byte or
 * that fall silent after one request (kept alive), and slowloris ones that trickle a request's headers, or its body after complete headers, one
 * byte per {@link #tick()}. Each tick also notices which connections the server answered or
 * closed. Each is a {@link RawConnection} made non-blocking, so that one thread keeps thousands
 * going. Nothing but loopback; {@link #close()} closes every socket.
 */
final class SlowSockets implements AutoCloseable {
  enum Kind { IDLE, IDLE_AFTER_A_REQUEST, SLOW_HEADERS, SLOW_BODY }

  private static final class Connection {
    final Kind kind;
    final SocketChannel channel;
    boolean answered;
    boolean closed;

    Connection(Kind kind, SocketChannel channel) {
      this.kind = kind;
      this.channel = channel;
    }
  }

  private final int port;
  private final List<Connection> connections = new ArrayList<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocate(4096);
  private int failedToConnect;

  SlowSockets(int port) {
    this.port = port;
  }

  /** Opens {@code count} connections of a kind, sending what comes before the trickle. */
  void open(Kind kind, int count, String requestHead) {
    for (int i = 0; i < count; i++) {
      try {
        RawConnection connection = RawConnection.open(port);
        if (requestHead != null) {
          connection.send(requestHead);
        }
        connection.channel().configureBlocking(false);
        connections.add(new Connection(kind, connection.channel()));
      } catch (IOException e) {
        failedToConnect++;
      }
    }
  }

  /** One byte more on every slow connection; then reads what the server sent, and notes closes. */
  void tick() {
    for (Connection connection : connections) {
      if (connection.closed) {
        continue;
      }
      try {
        if (connection.kind == Kind.SLOW_HEADERS) {
          connection.channel.write(ByteBuffer.wrap(new byte[] {'a'}));
        } else if (connection.kind == Kind.SLOW_BODY) {
          connection.channel.write(ByteBuffer.wrap(new byte[] {' '}));
        }
        readBuffer.clear();
        int read = connection.channel.read(readBuffer);
        if (read > 0) {
          connection.answered = true;
        } else if (read < 0) {
          connection.closed = true;
        }
      } catch (IOException reset) {
        connection.closed = true;
      }
    }
  }

  /** Per kind: open (still held), answered (the server sent something), closed by the server. */
  Map<Kind, int[]> counts() {
    Map<Kind, int[]> counts = new EnumMap<>(Kind.class);
    for (Connection connection : connections) {
      int[] c = counts.computeIfAbsent(connection.kind, k -> new int[3]);
      c[connection.closed ? 2 : 0]++;
      if (connection.answered) {
        c[1]++;
      }
    }
    return counts;
  }

  int failedToConnect() {
    return failedToConnect;
  }

  String describe() {
    StringBuilder text = new StringBuilder();
    counts().forEach((kind, c) -> text.append(String.format("%s: %d held, %d answered, %d closed by the node; ",
        kind, c[0], c[1], c[2])));
    return text + "failed to connect: " + failedToConnect;
  }

  @Override
  public void close() {
    for (Connection connection : connections) {
      try {
        connection.channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    connections.clear();
  }
}
