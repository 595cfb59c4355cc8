package fincloud.bus;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;

/**
 * The proof that a message on the event bus comes from a node of this deployment: one header,
 * {@value #HEADER}, holding an expiry and an HMAC-SHA256 with the cluster key ({@link CallerKeys})
 * over the address, the expiry, every other header (the caller: request id, tenant, client,
 * scopes, Idempotency-Key, request hash, receivedAt) and the body. Whoever can reach the event
 * bus without the key cannot name a caller, change one, move a sealed message to another address
 * or body, or replay it after its expiry. One HMAC per message: a few microseconds for the bodies
 * of the API (the JDK's HmacSHA256 hashes several hundred MB/s).
 */
public final class CallerSeal {
  public static final String HEADER = "callerSeal";
  /** How far the clocks of two nodes may disagree: added to a seal's life on both sides. */
  static final long CLOCK_SKEW_MS = 2_000;
  /** A seal that claims to live longer than this is refused whatever its MAC (bounds a replay). */
  static final long MAX_LIFE_MS = 120_000;
  private static final String VERSION = "v1";

  private CallerSeal() {
  }

  /**
   * {@code options} with the seal for {@code body} at {@code address}, valid for {@code validForMs}
   * (and the clock skew). Seals over the headers {@code options} already has: add the seal last.
   */
  public static DeliveryOptions seal(Vertx vertx, String address, Object body, DeliveryOptions options,
      long validForMs) {
    long expiresAtMs = System.currentTimeMillis() + Math.min(validForMs, MAX_LIFE_MS - CLOCK_SKEW_MS) + CLOCK_SKEW_MS;
    MultiMap headers = options.getHeaders();
    if (headers != null) {
      headers.remove(HEADER);
    }
    byte[] mac = mac(CallerKeys.of(vertx).current(), address, expiresAtMs, headers, body);
    return options.addHeader(HEADER, VERSION + "." + expiresAtMs + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(mac));
  }

  /** A new DeliveryOptions sealed for {@code body} at {@code address}: the system's own messages. */
  public static DeliveryOptions sealed(Vertx vertx, String address, Object body, long validForMs) {
    return seal(vertx, address, body, new DeliveryOptions(), validForMs);
  }

  /**
   * Whether a message that reached {@code address} carries a seal made with the current or the
   * previous key for its headers and body, that has not expired. Constant-time comparison.
   */
  public static boolean verify(Vertx vertx, String address, MultiMap headers, Object body) {
    String seal = headers.get(HEADER);
    if (seal == null) {
      return false;
    }
    String[] parts = seal.split("\\.", 3);
    if (parts.length != 3 || !parts[0].equals(VERSION)) {
      return false;
    }
    long expiresAtMs;
    byte[] given;
    try {
      expiresAtMs = Long.parseLong(parts[1]);
      given = Base64.getUrlDecoder().decode(parts[2]);
    } catch (IllegalArgumentException malformed) {
      return false;
    }
    long now = System.currentTimeMillis();
    if (expiresAtMs + CLOCK_SKEW_MS < now || expiresAtMs > now + MAX_LIFE_MS + CLOCK_SKEW_MS) {
      return false;
    }
    CallerKeys keys = CallerKeys.of(vertx);
    if (MessageDigest.isEqual(given, mac(keys.current(), address, expiresAtMs, headers, body))) {
      return true;
    }
    return keys.previous() != null
        && MessageDigest.isEqual(given, mac(keys.previous(), address, expiresAtMs, headers, body));
  }

  /** Length-prefixed fields, so that no two different messages give the same input. */
  private static byte[] mac(Mac mac, String address, long expiresAtMs, MultiMap headers, Object body) {
    field(mac, VERSION);
    field(mac, address);
    field(mac, Long.toString(expiresAtMs));
    for (Map.Entry<String, String> header : sortedHeaders(headers)) {
      field(mac, header.getKey());
      field(mac, header.getValue());
    }
    field(mac, body == null ? "" : body instanceof JsonObject json ? json.encode() : body.toString());
    return mac.doFinal();
  }

  private static List<Map.Entry<String, String>> sortedHeaders(MultiMap headers) {
    List<Map.Entry<String, String>> sorted = new ArrayList<>();
    if (headers != null) {
      headers.forEach(entry -> {
        if (!entry.getKey().equals(HEADER)) {
          sorted.add(Map.entry(entry.getKey(), entry.getValue()));
        }
      });
    }
    sorted.sort(Map.Entry.<String, String>comparingByKey().thenComparing(Map.Entry.comparingByValue()));
    return sorted;
  }

  private static void field(Mac mac, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    mac.update(new byte[] {(byte) (bytes.length >>> 24), (byte) (bytes.length >>> 16), (byte) (bytes.length >>> 8),
        (byte) bytes.length});
    mac.update(bytes);
  }
}
