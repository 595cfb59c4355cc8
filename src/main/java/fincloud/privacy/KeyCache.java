package fincloud.privacy;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Unwrapped data keys in memory, shared by the services of one Vert.x instance: at most
 * {@code maxKeys} (least recently used dropped first), each trusted for {@code ttlMs} after it was
 * read from the database, so that an erasure reaches every node's memory within that time even if
 * its event-bus message is lost. Keyed by account (the key that seals new values) and by key id
 * (the key that opens a stored value).
 */
final class KeyCache implements Shareable {
  private static final String MAP = "fincloud.privacy.keyCache";
  private static final String ENTRY = "cache";

  private final int maxKeys;
  private final long ttlMs;
  private final Map<String, Cached> byKeyId;
  private final Map<String, String> keyIdByAccount = new LinkedHashMap<>();

  private record Cached(DataKey key, long readAtMs) {
  }

  private KeyCache(int maxKeys, long ttlMs) {
    this.maxKeys = maxKeys;
    this.ttlMs = ttlMs;
    this.byKeyId = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
        boolean full = size() > KeyCache.this.maxKeys;
        if (full) {
          keyIdByAccount.remove(eldest.getValue().key().accountId(), eldest.getKey());
        }
        return full;
      }
    };
  }

  static KeyCache of(Vertx vertx, int maxKeys, long ttlMs) {
    return vertx.sharedData().<String, KeyCache>getLocalMap(MAP).computeIfAbsent(ENTRY, k -> new KeyCache(maxKeys, ttlMs));
  }

  /** The node's cache, if a service made one (the node drops erased keys from it). */
  static KeyCache existing(Vertx vertx) {
    return vertx.sharedData().<String, KeyCache>getLocalMap(MAP).get(ENTRY);
  }

  synchronized DataKey byKeyId(String keyId, long nowMs) {
    Cached cached = byKeyId.get(keyId);
    if (cached == null || nowMs - cached.readAtMs() > ttlMs) {
      return null;
    }
    return cached.key();
  }

  synchronized DataKey byAccount(String accountId, long nowMs) {
    String keyId = keyIdByAccount.get(accountId);
    return keyId == null ? null : byKeyId(keyId, nowMs);
  }

  synchronized void put(DataKey key, long nowMs) {
    byKeyId.put(key.keyId(), new Cached(key, nowMs));
    keyIdByAccount.put(key.accountId(), key.keyId());
  }

  /** Drops an erased account's key. */
  synchronized void forget(String accountId) {
    String keyId = keyIdByAccount.remove(accountId);
    if (keyId != null) {
      byKeyId.remove(keyId);
    }
  }

  synchronized int size() {
    return byKeyId.size();
  }
}
