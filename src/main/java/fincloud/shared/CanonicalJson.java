package fincloud.shared;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One text per JSON value, whatever the key order or spacing it arrived with: object keys sorted
 * by UTF-16 code units (as RFC 8785), no insignificant white space, strings escaped as JSON does
 * ({@link CanonicalWriter}). Two requests are "the same body" when their canonical texts are
 * equal. The text is always used as UTF-8 (hashed, signed, stored): a surrogate without its pair,
 * which UTF-8 cannot carry, is {@code ?} in it.
 */
public final class CanonicalJson {
  private CanonicalJson() {
  }

  public static String of(Object value) {
    CanonicalWriter out = new CanonicalWriter().value(value);
    return new String(out.buffer(), 0, out.length(), StandardCharsets.UTF_8);
  }

  public static String sha256Hex(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
