package fincloud.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain socket to a node on loopback, for what no HTTP client would send: partial, slow,
 * pipelined or malformed requests, bodies announced and never sent. It writes exactly the bytes it
 * is given and reads either one response, one whole answer, or everything until the node closes.
 * Reads wait at most {@link #READ_TIMEOUT_MS} unless told otherwise. A socket channel underneath,
 * so that a caller juggling many connections can switch it to non-blocking ({@link #channel()}).
 */
public final class RawConnection implements AutoCloseable {
  public static final int CONNECT_TIMEOUT_MS = 5_000;
  /** Longer than any deadline a test node is given: a read that waits this long is a hang. */
  public static final int READ_TIMEOUT_MS = 30_000;
  private static final Pattern CONTENT_LENGTH = Pattern.compile("\r\ncontent-length:\\s*(\\d+)");

  private final SocketChannel channel;

  private RawConnection(SocketChannel channel) {
    this.channel = channel;
  }

  public static RawConnection open(int port) throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.socket().connect(new InetSocketAddress("127.0.0.1", port), CONNECT_TIMEOUT_MS);
      channel.socket().setSoTimeout(READ_TIMEOUT_MS);
      return new RawConnection(channel);
    } catch (IOException e) {
      channel.close();
      throw e;
    }
  }

  /** Text as US-ASCII, e.g. a request head. */
  public void send(String text) throws IOException {
    send(text.getBytes(StandardCharsets.US_ASCII));
  }

  public void send(byte[] bytes) throws IOException {
    channel.socket().getOutputStream().write(bytes);
    channel.socket().getOutputStream().flush();
  }

  /** How long the next reads wait for the node before a {@link SocketTimeoutException}. */
  public void readTimeoutMs(int millis) throws IOException {
    channel.socket().setSoTimeout(millis);
  }

  /** One byte, or -1 once the node has closed the connection. */
  public int read() throws IOException {
    return in().read();
  }

  /**
   * One response as text (an interim 100 Continue counts as one): its head and as much body as its
   * Content-Length says, nothing more, so that the next response of a pipeline stays unread.
   */
  public String readResponse() throws IOException {
    InputStream in = in();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError("closed mid-response: " + head);
      }
      head.append((char) b);
    }
    Matcher length = CONTENT_LENGTH.matcher(head.toString().toLowerCase(Locale.ROOT));
    int bodyBytes = length.find() ? Integer.parseInt(length.group(1)) : 0;
    return head + new String(in.readNBytes(bodyBytes), StandardCharsets.UTF_8);
  }

  /** Everything the node sends until it closes the connection (a reset counts as a close). */
  public String readUntilClosed() throws IOException {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    InputStream in = in();
    try {
      for (int b = in.read(); b >= 0; b = in.read()) {
        received.write(b);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the node did not close the connection within "
          + channel.socket().getSoTimeout() + " ms; received: " + received.toString(StandardCharsets.US_ASCII));
    } catch (IOException reset) {
      // closed with a reset: closed all the same
    }
    return received.toString(StandardCharsets.US_ASCII);
  }

  /**
   * The bytes of one whole answer after any interim ones: complete by its Content-Length or last
   * chunk, or by its head alone for HEAD, 204, 304 and an event stream (which never ends); or
   * whatever came before the node closed.
   *
   * @param toHead whether the request was a HEAD (its answer has no body whatever it declares)
   */
  public byte[] readAnswer(boolean toHead) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] chunk = new byte[16 * 1024];
    InputStream in = in();
    try {
      for (int n; (n = in.read(chunk)) >= 0; ) {
        all.write(chunk, 0, n);
        if (complete(all.toString(StandardCharsets.ISO_8859_1), toHead)) {
          break;
        }
      }
    } catch (SocketException reset) {
      // A reset after the answer (the node closing a connection with unread input) keeps what came.
      if (all.size() == 0) {
        throw reset;
      }
    }
    return all.toByteArray();
  }

  /** The channel, e.g. to make it non-blocking; the stream methods above then no longer apply. */
  public SocketChannel channel() {
    return channel;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private InputStream in() throws IOException {
    return channel.socket().getInputStream();
  }

  /** @param raw the bytes so far, one char each (ISO-8859-1) */
  private static boolean complete(String raw, boolean toHead) {
    while (raw.startsWith("HTTP/1.1 1") && !raw.startsWith("HTTP/1.1 101") && raw.contains("\r\n\r\n")) {
      raw = raw.substring(raw.indexOf("\r\n\r\n") + 4);
    }
    int end = raw.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    String head = raw.substring(0, end).toLowerCase(Locale.ROOT);
    if (toHead || head.startsWith("http/1.1 204") || head.startsWith("http/1.1 304")
        || head.contains("\r\ncontent-type: text/event-stream")) {
      return true;
    }
    Matcher length = CONTENT_LENGTH.matcher(head);
    if (length.find()) {
      return raw.length() - end - 4 >= Long.parseLong(length.group(1));
    }
    if (head.contains("\r\ntransfer-encoding:") && head.contains("chunked")) {
      return raw.indexOf("\r\n0\r\n\r\n", end) >= 0;
    }
    return false;
  }
}
