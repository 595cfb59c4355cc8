package fincloud.audit;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checkpoints whose signature this node has already checked, with their payloads. Every
 * verification checks every checkpoint of the chain, and an ES256 signature costs about a
 * millisecond of CPU (as much as hashing a thousand records): a checkpoint's text never changes,
 * so its signature is checked once. Only signatures that held are kept, keyed by the whole
 * compact JWS (header, payload and signature): a text that differs in any character is checked
 * again. The set of trusted keys of a {@link CheckpointKeys} never changes, so neither does the
 * answer for a text. Kept in memory only, where the database's owner cannot add to it; the least
 * recently used are forgotten beyond {@link #CAPACITY}.
 */
final class VerifiedSignatures {
  /** A chain of ten million records at one checkpoint every thousand; about 15 MB at most. */
  static final int CAPACITY = 10_000;

  private final Map<String, JsonObject> payloads = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, JsonObject> eldest) {
      return size() > CAPACITY;
    }
  };

  /** The payload of a JWS whose signature held, a copy the caller may change; null if not checked yet. */
  synchronized JsonObject payload(String compact) {
    JsonObject payload = payloads.get(compact);
    return payload == null ? null : payload.copy();
  }

  synchronized void held(String compact, JsonObject payload) {
    payloads.put(compact, payload.copy());
  }
}
