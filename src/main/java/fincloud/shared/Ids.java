package fincloud.shared;

import java.security.SecureRandom;

/**
 * Opaque identifiers: a prefix, then 48 bits of milliseconds and 80 random bits in Crockford
 * base32 (26 characters). They sort by creation time, so "newest first" is "highest id first".
 */
public final class Ids {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {
  }

  public static String account() {
    return next("acc_");
  }

  public static String transfer() {
    return next("trf_");
  }

  static String next(String prefix) {
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    long time = System.currentTimeMillis();
    long high = (time << 16) | ((random[0] & 0xFFL) << 8) | (random[1] & 0xFFL);
    long low = 0;
    for (int i = 2; i < 10; i++) {
      low = (low << 8) | (random[i] & 0xFFL);
    }
    char[] out = new char[26];
    // 128 bits, most significant first, 5 bits per character (the first carries 3 bits).
    for (int i = 25; i >= 0; i--) {
      out[i] = ALPHABET[(int) (low & 31)];
      low = (low >>> 5) | ((high & 31) << 59);
      high >>>= 5;
    }
    return prefix + new String(out);
  }
}
