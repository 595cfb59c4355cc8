package fincloud.idempotency;

import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The first answer to each Idempotency-Key, per tenant, kept with the ledger. A request still
 * running holds a transaction-scoped advisory lock on its key, so "in flight" is known through the
 * database and vanishes with the transaction if its node crashes.
 */
public final class IdempotencyRecords {
  private static final String FIND = """
      SELECT r.tenant, r.key, r.request_hash, r.status AS answer_status, r.response
      FROM idempotency_records r
      JOIN unnest($1::text[], $2::text[]) AS k(tenant, key) ON r.tenant = k.tenant AND r.key = k.key""";
  private static final String TRY_LOCK =
      "SELECT h FROM unnest($1::bigint[]) AS h WHERE NOT pg_try_advisory_xact_lock(h)";
  /** The stored answers and the fences of a group's keys, in one statement (keys with neither are left out). */
  private static final String FIND_KNOWN = """
      SELECT k.tenant, k.key, r.request_hash, r.status AS answer_status, r.response, f.fenced_at
      FROM unnest($1::text[], $2::text[]) AS k(tenant, key)
      LEFT JOIN idempotency_records r ON r.tenant = k.tenant AND r.key = k.key
      LEFT JOIN idempotency_fences f ON f.tenant = k.tenant AND f.key = k.key
      WHERE r.key IS NOT NULL OR f.key IS NOT NULL""";
  private static final String FENCE = """
      INSERT INTO idempotency_fences (tenant, key, fenced_at) VALUES ($1, $2, now())
      ON CONFLICT (tenant, key) DO UPDATE SET fenced_at = excluded.fenced_at""";
  /**
   * How much later than a fence an attempt must have been received to be decided afresh: the
   * gateway's clock stamps the attempt and the database's the fence, and this covers their drift
   * (an attempt received within it is answered "superseded", which costs a retry, never money).
   */
  static final long FENCE_MARGIN_MS = 1_000;
  private static final String SAVE = """
      INSERT INTO idempotency_records (tenant, key, request_hash, status, response)
      SELECT tenant, key, request_hash, status, response
      FROM jsonb_to_recordset($1::jsonb) AS x(tenant text, key text, request_hash text, status int, response jsonb)""";

  /**
   * The columns of a stored answer (table alias {@code r}), for a read that fetches it along with
   * other rows in one statement; {@link #storedFrom} reads them back.
   */
  public static final String ANSWER_COLUMNS = "r.request_hash, r.status AS answer_status, r.response";

  private IdempotencyRecords() {
  }

  /** A key of one tenant. */
  public record Key(String tenant, String key) {
    static Key of(RequestContext caller) {
      return new Key(caller.tenant(), caller.idempotencyKey());
    }

    /** The advisory-lock number of this key (64 bits of SHA-256: collisions only cost a 409). */
    public long lockId() {
      try {
        byte[] digest = MessageDigest.getInstance("SHA-256")
            .digest((tenant + '\u0000' + key).getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(digest).getLong();
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** An answer kept for a key, with the hash of the request that produced it. */
  public record Stored(String requestHash, Answer answer) {
    /** The stored answer again if the request is the same, else the reuse refusal. */
    public Answer replayFor(RequestContext caller) {
      if (requestHash.equals(caller.requestHash())) {
        return answer.asReplay();
      }
      return Answer.problem(ErrorCode.IDEMPOTENCY_KEY_REUSED,
          "Idempotency-Key '" + caller.idempotencyKey() + "' was used for another request", caller.requestId());
    }
  }

  public static Answer inFlight(RequestContext caller) {
    return Answer.problem(ErrorCode.IDEMPOTENCY_IN_FLIGHT,
        "a request with Idempotency-Key '" + caller.idempotencyKey() + "' is still being processed",
        caller.requestId());
  }

  /**
   * The answer to an attempt that arrived before a later attempt with its key was refused without
   * keeping the refusal (see {@link #refuseUnkept}): it must not take effect after that answer.
   */
  public static Answer superseded(RequestContext caller) {
    return Answer.problem(ErrorCode.UNAVAILABLE, "a later attempt with Idempotency-Key '" + caller.idempotencyKey()
        + "' was already answered; this one applied nothing, retry with the same key", caller.requestId());
  }

  /** Whether the attempt was received before the key's fence (with the clocks' margin). */
  public static boolean overtaken(RequestContext caller, Instant fence) {
    return fence != null && caller.receivedAtMs() < fence.toEpochMilli() + FENCE_MARGIN_MS;
  }

  public static Future<Map<Key, Stored>> find(SqlClient client, Set<Key> keys) {
    if (keys.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    return client.preparedQuery(FIND).execute(keyArrays(keys))
        .map(rows -> {
          Map<Key, Stored> found = new HashMap<>();
          for (Row row : rows) {
            found.put(new Key(row.getString("tenant"), row.getString("key")), storedFrom(row));
          }
          return found;
        });
  }

  /** What the database knows of some keys: the answers stored for them, and when they were last fenced. */
  public record Known(Map<Key, Stored> stored, Map<Key, Instant> fences) {
  }

  /**
   * The stored answers and the fences of the keys, in one statement. Read them after {@link #lock}
   * (pipelined is fine: the statement's snapshot is taken after the locks are).
   */
  public static Future<Known> known(SqlClient client, Set<Key> keys) {
    if (keys.isEmpty()) {
      return Future.succeededFuture(new Known(Map.of(), Map.of()));
    }
    return client.preparedQuery(FIND_KNOWN).execute(keyArrays(keys)).map(rows -> {
      Map<Key, Stored> stored = new HashMap<>();
      Map<Key, Instant> fences = new HashMap<>();
      for (Row row : rows) {
        Key key = new Key(row.getString("tenant"), row.getString("key"));
        Stored answer = storedFrom(row);
        if (answer != null) {
          stored.put(key, answer);
        }
        if (row.getValue("fenced_at") != null) {
          fences.put(key, row.getOffsetDateTime("fenced_at").toInstant());
        }
      }
      return new Known(stored, fences);
    });
  }

  private static Tuple keyArrays(Set<Key> keys) {
    List<String> tenants = new ArrayList<>();
    List<String> names = new ArrayList<>();
    keys.forEach(k -> {
      tenants.add(k.tenant());
      names.add(k.key());
    });
    return Tuple.tuple().addArrayOfString(tenants.toArray(String[]::new)).addArrayOfString(names.toArray(String[]::new));
  }

  /** Takes the advisory locks of the keys for this transaction; answers the keys held elsewhere. */
  public static Future<Set<Key>> lock(SqlClient transaction, Set<Key> keys) {
    if (keys.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    Map<Long, Key> byLock = new HashMap<>();
    keys.forEach(k -> byLock.put(k.lockId(), k));
    Long[] ids = byLock.keySet().stream().sorted().toArray(Long[]::new);
    return transaction.preparedQuery(TRY_LOCK).execute(Tuple.of(ids)).map(rows -> {
      Set<Key> busy = new HashSet<>();
      rows.forEach(row -> busy.add(byLock.get(row.getLong(0))));
      return busy;
    });
  }

  public static Future<Void> save(SqlClient transaction, Map<Key, Stored> records) {
    if (records.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonArray rows = new JsonArray();
    records.forEach((k, s) -> rows.add(new JsonObject()
        .put("tenant", k.tenant()).put("key", k.key()).put("request_hash", s.requestHash())
        .put("status", s.answer().status()).put("response", s.answer().body())));
    return transaction.preparedQuery(SAVE).execute(Tuple.of(rows)).mapEmpty();
  }

  /** Whether an answer is kept for its key (docs/contract.md, Idempotency: 2xx and the operation's own refusals). */
  public static boolean isStored(Answer answer) {
    return !answer.isProblem() || answer.code().storedForIdempotency();
  }

  /**
   * Runs one operation inside {@code transaction} under the caller's Idempotency-Key: a key in
   * flight elsewhere answers 409, a known key replays (or refuses reuse), and a new answer of the
   * stored kind is kept in the same transaction. Without a key, just runs the operation.
   */
  public static Future<Answer> once(SqlClient transaction, RequestContext caller,
      Supplier<Future<Answer>> operation) {
    if (caller.idempotencyKey() == null) {
      return operation.get();
    }
    Key key = Key.of(caller);
    return whenUndecided(transaction, caller, () -> operation.get().compose(answer -> isStored(answer)
        ? save(transaction, Map.of(key, new Stored(caller.requestHash(), answer))).map(answer)
        : Future.succeededFuture(answer)));
  }

  /**
   * Gives a refusal that is not kept for the caller's key (the risk fallback's) only when the key
   * is neither in flight nor decided: a key held by another attempt's transaction answers 409, a
   * decided key replays its answer. Otherwise the key is fenced in the same transaction, so that
   * an earlier attempt still on its way can never commit after this refusal (docs/contract.md,
   * "An answer never contradicts the books").
   */
  public static Future<Answer> refuseUnkept(SqlClient transaction, RequestContext caller,
      Supplier<Future<Answer>> refusal) {
    Key key = Key.of(caller);
    return whenUndecided(transaction, caller, () -> transaction.preparedQuery(FENCE)
        .execute(Tuple.of(key.tenant(), key.key())).compose(fenced -> refusal.get()));
  }

  /** Under the key's lock: 409 while another attempt holds it, the kept answer once decided, else {@code decide}. */
  private static Future<Answer> whenUndecided(SqlClient transaction, RequestContext caller,
      Supplier<Future<Answer>> decide) {
    Key key = Key.of(caller);
    return lock(transaction, Set.of(key))
        .compose(busy -> busy.isEmpty() ? find(transaction, Set.of(key)) : Future.succeededFuture(null))
        .compose(found -> {
          if (found == null) {
            return Future.succeededFuture(inFlight(caller));
          }
          Stored prior = found.get(key);
          return prior != null ? Future.succeededFuture(prior.replayFor(caller)) : decide.get();
        });
  }

  /** The answer stored in a row read with {@link #ANSWER_COLUMNS}; null when the row has none. */
  public static Stored storedFrom(Row row) {
    String requestHash = row.getString("request_hash");
    if (requestHash == null) {
      return null;
    }
    Object response = row.getValue("response");
    JsonObject body = response instanceof JsonObject json ? json : new JsonObject(String.valueOf(response));
    return new Stored(requestHash, new Answer(row.getInteger("answer_status"), body, false));
  }
}
