package fincloud.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A plain socket to a node, for requests no HTTP client would send: slow, partial, pipelined. */
final class RawConnection {
  private RawConnection() {
  }

  static Socket open(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    return socket;
  }

  static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  /** Reads until the node closes the connection (failing after 30 s); answers what it sent. */
  static String readUntilClosed(Socket socket) throws IOException {
    socket.setSoTimeout(30_000);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    try {
      for (int b = in.read(); b >= 0; b = in.read()) {
        received.write(b);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the node did not close the connection within 30 s");
    } catch (IOException reset) {
      // closed with a reset: closed all the same
    }
    return received.toString(StandardCharsets.US_ASCII);
  }

  /** One response (an interim 100 Continue counts as one), head and Content-Length body. */
  static String readResponse(Socket socket) throws IOException {
    socket.setSoTimeout(30_000);
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError("closed mid-response: " + head);
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
