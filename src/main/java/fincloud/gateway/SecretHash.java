package fincloud.gateway;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Client secrets are kept only as PBKDF2-HMAC-SHA256 hashes:
 * {@code pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>}. Hashing is slow on purpose:
 * call it on a worker thread.
 */
public final class SecretHash {
  private static final int ITERATIONS = 210_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretHash() {
  }

  public static String hash(String secret) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return "pbkdf2-sha256$" + ITERATIONS + "$" + b64(salt) + "$" + b64(derive(secret, salt, ITERATIONS));
  }

  /** Whether a stored form is one {@link #hash} makes (a placeholder left in a configuration is not). */
  public static boolean isWellFormed(String stored) {
    String[] parts = stored.split("\\$");
    try {
      return parts.length == 4 && parts[0].equals("pbkdf2-sha256") && Integer.parseInt(parts[1]) >= 1
          && Base64.getDecoder().decode(parts[2]).length >= 8 && Base64.getDecoder().decode(parts[3]).length == 32;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  public static boolean matches(String secret, String stored) {
    String[] parts = stored.split("\\$");
    if (parts.length != 4 || !parts[0].equals("pbkdf2-sha256")) {
      return false;
    }
    byte[] expected = Base64.getDecoder().decode(parts[3]);
    byte[] actual = derive(secret, Base64.getDecoder().decode(parts[2]), Integer.parseInt(parts[1]));
    return MessageDigest.isEqual(expected, actual);
  }

  private static byte[] derive(String secret, byte[] salt, int iterations) {
    try {
      PBEKeySpec spec = new PBEKeySpec(secret.toCharArray(), salt, iterations, 256);
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static String fingerprint(String secret) {
    try {
      return b64(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
