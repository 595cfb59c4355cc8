package fincloud.privacy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM from the JDK: a fresh random 96-bit nonce per value (at most 2^32 values per key
 * keeps the nonce-collision risk negligible; an account's fields are far fewer), a 128-bit tag,
 * and associated data that binds a value to where it belongs. Output: base64url(nonce || ciphertext || tag).
 * Each thread keeps one Cipher and initializes it afresh for every value: looking a Cipher up per
 * value cost about two thirds of a seal (the provider search and a new key schedule each time),
 * while {@code init} always resets the whole state, so that a value that failed to open leaves
 * nothing behind for the next one.
 */
final class Sealing {
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(Sealing::newCipher);

  private Sealing() {
  }

  static String seal(SecretKey key, byte[] plain, String associated) throws GeneralSecurityException {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    Cipher cipher = CIPHER.get();
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
    byte[] sealed = cipher.doFinal(plain);
    return ENCODER.encodeToString(ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array());
  }

  static byte[] open(SecretKey key, String text, String associated) throws GeneralSecurityException {
    byte[] all = DECODER.decode(text);
    if (all.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalArgumentException("too short to be a sealed value");
    }
    Cipher cipher = CIPHER.get();
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE_BYTES));
    cipher.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
    return cipher.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES);
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no AES/GCM", e);
    }
  }
}
