package fincloud.bus;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cluster key that proves a caller on the event bus ({@link CallerSeal}): the current key,
 * which seals, and the previous one, which is still accepted while a rotation rolls through the
 * nodes. One per Vert.x instance, installed by the node before its roles start; an instance that
 * was given none (a node without a cluster, a test) makes a random one in memory on first use,
 * which nothing outside this process can know.
 */
public final class CallerKeys implements Shareable {
  /** A key shorter than this (HMAC-SHA256's output size) is refused. */
  public static final int MIN_KEY_BYTES = 32;
  private static final String MAP = "fincloud.callerKeys";
  private static final String ENTRY = "keys";
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec current;
  private final SecretKeySpec previous;
  /** A Mac per thread and key, initialised once: the key schedule is not redone per message. */
  private final ThreadLocal<Mac> currentMac;
  private final ThreadLocal<Mac> previousMac;

  /** @param previous the key before the current one, or null */
  public CallerKeys(byte[] current, byte[] previous) {
    this.current = spec(current);
    this.previous = previous == null ? null : spec(previous);
    this.currentMac = ThreadLocal.withInitial(() -> mac(this.current));
    this.previousMac = this.previous == null ? null : ThreadLocal.withInitial(() -> mac(this.previous));
  }

  /** 32 random bytes, as the text a key setting or file holds (base64). */
  public static String generate() {
    byte[] key = new byte[MIN_KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  /** A key as configured (base64, at least 32 bytes); the message names {@code setting}, never the key. */
  public static byte[] decode(String text, String setting) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(text.strip());
    } catch (IllegalArgumentException notBase64) {
      throw new IllegalArgumentException(setting + " must be base64");
    }
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(setting + " must hold at least " + MIN_KEY_BYTES + " bytes (base64)");
    }
    return key;
  }

  /** Makes {@code keys} the ones of every caller and consumer of this Vert.x instance. */
  public static void install(Vertx vertx, CallerKeys keys) {
    vertx.sharedData().<String, CallerKeys>getLocalMap(MAP).put(ENTRY, keys);
  }

  /** The instance's keys; a random in-memory key when none was installed. */
  public static CallerKeys of(Vertx vertx) {
    LocalMap<String, CallerKeys> map = vertx.sharedData().getLocalMap(MAP);
    CallerKeys keys = map.get(ENTRY);
    if (keys != null) {
      return keys;
    }
    CallerKeys random = new CallerKeys(Base64.getDecoder().decode(generate()), null);
    CallerKeys raced = map.putIfAbsent(ENTRY, random);
    return raced != null ? raced : random;
  }

  /** This thread's Mac with the current key, ready for a message. */
  Mac current() {
    return currentMac.get();
  }

  /** This thread's Mac with the previous key, or null when there is none. */
  Mac previous() {
    return previousMac == null ? null : previousMac.get();
  }

  private static Mac mac(SecretKeySpec key) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static SecretKeySpec spec(byte[] key) {
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException("a caller key has at least " + MIN_KEY_BYTES + " bytes");
    }
    return new SecretKeySpec(key.clone(), ALGORITHM);
  }

  /** Immutable: the local map hands the same instance to every verticle. */
  @Override
  public Shareable copy() {
    return this;
  }
}
