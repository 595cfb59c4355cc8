package fincloud.testkit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback proxy in front of a PostgreSQL server that reads the wire protocol going through it
 * and counts what a client costs the server: statements (each Execute of the extended protocol and
 * each simple Query) and round trips (each time the client sends a request after every earlier one
 * was answered, i.e. after it had to wait). Requests sent while earlier ones are still unanswered
 * are pipelined and cost no round trip. Point a pool at {@link #url} instead of the server's URL.
 * No TLS: the client must not ask for it.
 */
public final class PgWireCounter implements AutoCloseable {
  private final NetServer server;
  private final NetClient client;
  private final String url;
  private final AtomicLong statements = new AtomicLong();
  private final AtomicLong roundTrips = new AtomicLong();

  private PgWireCounter(NetServer server, NetClient client, String url) {
    this.server = server;
    this.client = client;
    this.url = url;
  }

  /** Blocking: starts a proxy to the server of {@code pgUrl} (postgresql://user:password@host:port/database). */
  public static PgWireCounter start(Vertx vertx, String pgUrl) {
    String authority = pgUrl.substring(pgUrl.indexOf('@') + 1, pgUrl.lastIndexOf('/'));
    String host = authority.substring(0, authority.lastIndexOf(':'));
    int port = Integer.parseInt(authority.substring(authority.lastIndexOf(':') + 1));
    NetClient client = vertx.createNetClient();
    NetServer server = vertx.createNetServer();
    PgWireCounter[] self = new PgWireCounter[1];
    server.connectHandler(socket -> self[0].relay(socket, host, port));
    server.listen(0, "127.0.0.1").await();
    String proxied = pgUrl.substring(0, pgUrl.indexOf('@') + 1) + "127.0.0.1:" + server.actualPort()
        + pgUrl.substring(pgUrl.lastIndexOf('/'));
    self[0] = new PgWireCounter(server, client, proxied);
    return self[0];
  }

  public String url() {
    return url;
  }

  public long statements() {
    return statements.get();
  }

  public long roundTrips() {
    return roundTrips.get();
  }

  private void relay(NetSocket fromClient, String host, int port) {
    fromClient.pause();
    client.connect(port, host).onSuccess(toServer -> {
      Connection counted = new Connection();
      fromClient.handler(bytes -> {
        counted.clientSent(bytes);
        toServer.write(bytes);
      });
      toServer.handler(bytes -> {
        counted.serverSent(bytes);
        fromClient.write(bytes);
      });
      fromClient.closeHandler(v -> toServer.close());
      toServer.closeHandler(v -> fromClient.close());
      fromClient.resume();
    }).onFailure(failure -> fromClient.close());
  }

  /** One client connection: message boundaries in both directions, and requests not answered yet. */
  private final class Connection {
    private final Messages fromClient = new Messages(true);
    private final Messages fromServer = new Messages(false);
    /** Sync and Query messages sent and not yet answered by ReadyForQuery. */
    private long unanswered;

    synchronized void clientSent(Buffer bytes) {
      fromClient.feed(bytes, type -> {
        if (type == 'E' || type == 'Q') {
          statements.incrementAndGet();
        }
        if (type == 'S' || type == 'Q') {
          if (unanswered == 0) {
            roundTrips.incrementAndGet();
          }
          unanswered++;
        }
      });
    }

    synchronized void serverSent(Buffer bytes) {
      fromServer.feed(bytes, type -> {
        if (type == 'Z' && unanswered > 0) {
          unanswered--;
        }
      });
    }
  }

  /** Splits a byte stream into protocol messages: a type byte and a length that counts itself. */
  private static final class Messages {
    /** The client's first message (startup, or a request for TLS) has no type byte. */
    private boolean untypedFirst;
    private Buffer pending = Buffer.buffer();

    Messages(boolean untypedFirst) {
      this.untypedFirst = untypedFirst;
    }

    interface Sink {
      void message(char type);
    }

    void feed(Buffer bytes, Sink sink) {
      pending.appendBuffer(bytes);
      int at = 0;
      while (true) {
        int header = untypedFirst ? 4 : 5;
        if (pending.length() - at < header) {
          break;
        }
        int length = pending.getInt(at + header - 4);
        int size = (untypedFirst ? 0 : 1) + length;
        if (pending.length() - at < size) {
          break;
        }
        if (!untypedFirst) {
          sink.message((char) pending.getByte(at));
        }
        untypedFirst = false;
        at += size;
      }
      pending = pending.getBuffer(at, pending.length());
    }
  }

  @Override
  public void close() {
    Future.all(server.close(), client.close()).await();
  }
}
