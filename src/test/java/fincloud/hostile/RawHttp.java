package fincloud.hostile;

import fincloud.testkit.RawConnection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A deliberately dumb HTTP/1.1 client on a plain socket: it sends exactly the bytes it is given
 * (any method, any request target, any header, any body), one request per connection on a
 * {@link RawConnection}, and reads one whole answer or what comes until the server closes. A
 * well-behaved client library refuses most of what hostile input is made of, hence this one.
 */
final class RawHttp {
  /** Longer than the gateway's own request timeout: a request not answered by then is a hang. */
  static final int ANSWER_TIMEOUT_MS = 20_000;

  private final int port;

  RawHttp(int port) {
    this.port = port;
  }

  /** One request as bytes on the wire; {@code body} null sends no Content-Length at all. */
  record Request(String method, String target, List<String[]> headers, byte[] body) {
    Request {
      headers = new ArrayList<>(headers);
    }

    static Request of(String method, String target) {
      return new Request(method, target, List.of(), null);
    }

    Request header(String name, String value) {
      List<String[]> more = new ArrayList<>(headers);
      more.add(new String[] {name, value});
      return new Request(method, target, more, body);
    }

    /** This header instead of any of that name. */
    Request replacing(String name, String value) {
      List<String[]> others = new ArrayList<>(headers);
      others.removeIf(h -> h[0].equalsIgnoreCase(name));
      return new Request(method, target, others, body).header(name, value);
    }

    Request body(byte[] bytes) {
      return new Request(method, target, headers, bytes);
    }

    String header(String name) {
      return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst().orElse(null);
    }

    /** A short, printable description for failure reports (long parts cut). */
    String describe() {
      StringBuilder out = new StringBuilder(method).append(' ').append(cut(target, 300));
      headers.forEach(h -> out.append("\n  ").append(h[0]).append(": ")
          .append(cut(h[0].equalsIgnoreCase("Authorization") ? h[1].substring(0, Math.min(20, h[1].length())) + "…"
              : h[1], 200)));
      if (body != null) {
        out.append("\n  body (").append(body.length).append(" bytes): ")
            .append(cut(new String(body, StandardCharsets.UTF_8), 400));
      }
      return out.toString();
    }
  }

  /** The answer: status, headers as sent, the body de-chunked. */
  record Response(int status, List<String[]> headers, byte[] body) {
    String header(String name) {
      return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst().orElse(null);
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String describe() {
      return status + " " + header("Content-Type") + " " + cut(bodyText(), 400);
    }
  }

  /** The server did not answer (in time, or at all). */
  static final class NoAnswer extends Exception {
    NoAnswer(String message) {
      super(message);
    }
  }

  Response send(Request request) throws NoAnswer {
    boolean toHead = request.method().equals("HEAD");
    try (RawConnection connection = RawConnection.open(port)) {
      connection.readTimeoutMs(ANSWER_TIMEOUT_MS);
      IOException writeFailure = null;
      try {
        connection.send(bytes(request));
      } catch (IOException e) {
        // The server may answer (413, 431) and close before it has read everything we send.
        writeFailure = e;
      }
      byte[] raw = connection.readAnswer(toHead);
      if (raw.length == 0) {
        throw new NoAnswer("connection closed without an answer"
            + (writeFailure == null ? "" : " (while sending: " + writeFailure.getMessage() + ")"));
      }
      return parse(raw, toHead);
    } catch (SocketTimeoutException e) {
      throw new NoAnswer("no answer within " + ANSWER_TIMEOUT_MS + " ms");
    } catch (IOException e) {
      throw new NoAnswer("I/O failure: " + e);
    }
  }

  private byte[] bytes(Request request) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes((request.method() + " " + request.target() + " HTTP/1.1\r\n").getBytes(StandardCharsets.UTF_8));
    out.writeBytes(("Host: 127.0.0.1:" + port + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    for (String[] h : request.headers()) {
      out.writeBytes((h[0] + ": " + h[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    if (request.body() != null) {
      out.writeBytes(("Content-Length: " + request.body().length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes("Connection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    if (request.body() != null) {
      out.writeBytes(request.body());
    }
    return out.toByteArray();
  }

  private static Response parse(byte[] raw, boolean head) throws NoAnswer {
    // Interim answers (100 Continue) come before the final one.
    while (startsWith(raw, "HTTP/1.1 1") && !startsWith(raw, "HTTP/1.1 101")) {
      int interimEnd = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
      if (interimEnd < 0) {
        break;
      }
      raw = java.util.Arrays.copyOfRange(raw, interimEnd + 4, raw.length);
    }
    if (raw.length == 0) {
      throw new NoAnswer("only an interim answer");
    }
    int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
    if (end < 0) {
      throw new NoAnswer("an answer without a complete header: " + cut(new String(raw, StandardCharsets.ISO_8859_1), 200));
    }
    String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
      throw new NoAnswer("not an HTTP answer: " + cut(lines[0], 200));
    }
    List<String[]> headers = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.add(new String[] {lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()});
    }
    byte[] rest = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
    Response response = new Response(Integer.parseInt(statusLine[1]), headers, rest);
    if (head) {
      return new Response(response.status(), headers, new byte[0]);
    }
    String encoding = response.header("Transfer-Encoding");
    if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      return new Response(response.status(), headers, dechunk(rest));
    }
    String length = response.header("Content-Length");
    if (length != null && Integer.parseInt(length) < rest.length) {
      rest = java.util.Arrays.copyOf(rest, Integer.parseInt(length));
    }
    return new Response(response.status(), headers, rest);
  }

  private static byte[] dechunk(byte[] chunked) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < chunked.length) {
      int lineEnd = indexOf(chunked, new byte[] {'\r', '\n'}, at);
      if (lineEnd < 0) {
        break;
      }
      String sizeText = new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].trim();
      int size = Integer.parseInt(sizeText, 16);
      if (size == 0) {
        break;
      }
      out.write(chunked, lineEnd + 2, Math.min(size, chunked.length - lineEnd - 2));
      at = lineEnd + 2 + size + 2;
    }
    return out.toByteArray();
  }

  private static boolean startsWith(byte[] data, String prefix) {
    byte[] p = prefix.getBytes(StandardCharsets.ISO_8859_1);
    return data.length >= p.length && indexOf(java.util.Arrays.copyOf(data, p.length), p, 0) == 0;
  }

  private static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = from; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static String cut(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max) + "…(" + text.length() + " chars)";
  }
}
