package fincloud.privacy;

import fincloud.privacy.KeyEncryptionKeys.WrappedKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The data keys of accounts, one per account, kept wrapped by a key-encryption key in
 * {@code account_keys} (the only copy of each: deleting its row is the erasure). Reads go through
 * the node's {@link KeyCache}; an account opened before encryption existed gets its key the first
 * time one is needed.
 */
public final class DataKeys {
  /** Event-bus address on which an erasure tells every node to drop the account's key from memory. */
  public static final String ERASED_ADDRESS = "fincloud.privacy.erased";
  private static final int DATA_KEY_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String BY_ACCOUNT =
      "SELECT account_id, key_id, kek_id, wrapped FROM account_keys WHERE account_id = ANY($1)";
  private static final String BY_KEY_ID =
      "SELECT account_id, key_id, kek_id, wrapped FROM account_keys WHERE key_id = ANY($1)";
  private static final String INSERT =
      "INSERT INTO account_keys (account_id, key_id, kek_id, wrapped) VALUES ($1, $2, $3, $4)";
  /** Keys for accounts that exist and have none (opened before encryption); a concurrent creator wins. */
  private static final String INSERT_MISSING = """
      INSERT INTO account_keys (account_id, key_id, kek_id, wrapped)
      SELECT x.account_id, x.key_id, x.kek_id, x.wrapped
      FROM jsonb_to_recordset($1::jsonb) AS x(account_id text, key_id text, kek_id text, wrapped text)
      JOIN accounts a ON a.id = x.account_id
      ON CONFLICT (account_id) DO NOTHING""";
  private static final String DESTROY = "DELETE FROM account_keys WHERE account_id = $1";
  private static final String STALE = """
      SELECT account_id, key_id, kek_id, wrapped FROM account_keys WHERE kek_id <> $1
      ORDER BY key_id LIMIT $2 FOR UPDATE SKIP LOCKED""";
  private static final String REWRAP = """
      UPDATE account_keys k SET kek_id = x.kek_id, wrapped = x.wrapped
      FROM jsonb_to_recordset($1::jsonb) AS x(key_id text, kek_id text, wrapped text) WHERE k.key_id = x.key_id""";

  private final Vertx vertx;
  private final KeyEncryptionKeys keks;
  private final KeyCache cache;

  public DataKeys(Vertx vertx, PrivacySettings settings) {
    this.vertx = vertx;
    this.keks = KeyEncryptionKeys.of(vertx);
    this.cache = KeyCache.of(vertx, settings.maxCachedKeys(), settings.keyCacheTtlMs());
  }

  /** A fresh key for a new account, wrapped and inserted in the caller's transaction. */
  public Future<DataKey> create(SqlClient transaction, String accountId) {
    DataKey key = generate(accountId);
    WrappedKey wrapped = keks.wrap(key.keyId(), key.key().getEncoded());
    return transaction.preparedQuery(INSERT).execute(Tuple.of(accountId, key.keyId(), wrapped.kekId(), wrapped.text()))
        .map(done -> {
          cache.put(key, now());
          return key;
        });
  }

  /**
   * The keys that seal new values of these accounts, by account id; an account that does not
   * exist has none (an account that exists always has one, made now if it had none yet).
   */
  public Future<Map<String, DataKey>> forAccounts(SqlClient client, Collection<String> accountIds) {
    Map<String, DataKey> found = new HashMap<>();
    Set<String> missing = new LinkedHashSet<>();
    long now = now();
    accountIds.forEach(id -> {
      DataKey key = cache.byAccount(id, now);
      if (key != null) {
        found.put(id, key);
      } else {
        missing.add(id);
      }
    });
    if (missing.isEmpty()) {
      return Future.succeededFuture(found);
    }
    return read(client, BY_ACCOUNT, missing).compose(read -> {
      read.values().forEach(key -> found.put(key.accountId(), key));
      missing.removeAll(read.keySet().stream().map(keyId -> read.get(keyId).accountId()).toList());
      return missing.isEmpty() ? Future.succeededFuture(found) : createMissing(client, missing).map(made -> {
        made.values().forEach(key -> found.put(key.accountId(), key));
        return found;
      });
    });
  }

  private Future<Map<String, DataKey>> createMissing(SqlClient client, Set<String> accountIds) {
    JsonArray rows = new JsonArray();
    accountIds.forEach(id -> {
      DataKey key = generate(id);
      WrappedKey wrapped = keks.wrap(key.keyId(), key.key().getEncoded());
      rows.add(new JsonObject().put("account_id", id).put("key_id", key.keyId())
          .put("kek_id", wrapped.kekId()).put("wrapped", wrapped.text()));
    });
    return client.preparedQuery(INSERT_MISSING).execute(Tuple.of(rows))
        .compose(inserted -> read(client, BY_ACCOUNT, accountIds));
  }

  /** The keys that open stored values, by key id; a key that is gone (erased) is absent. */
  public Future<Map<String, SecretKey>> byKeyIds(SqlClient client, Set<String> keyIds) {
    Map<String, SecretKey> found = new HashMap<>();
    Set<String> missing = new LinkedHashSet<>();
    long now = now();
    keyIds.forEach(id -> {
      DataKey key = cache.byKeyId(id, now);
      if (key != null) {
        found.put(id, key.key());
      } else {
        missing.add(id);
      }
    });
    if (missing.isEmpty()) {
      return Future.succeededFuture(found);
    }
    return read(client, BY_KEY_ID, missing).map(read -> {
      read.forEach((id, key) -> found.put(id, key.key()));
      return found;
    });
  }

  /** {@code json} with its customer fields in clear (those whose key is gone as erased). */
  public Future<JsonObject> reveal(SqlClient client, JsonObject json) {
    Set<String> ids = CustomerFields.keyIds(json);
    if (ids.isEmpty()) {
      return Future.succeededFuture(json);
    }
    return byKeyIds(client, ids).map(keys -> CustomerFields.reveal(json, keys));
  }

  /**
   * Destroys the account's key in the caller's transaction (its stored customer fields can never
   * be read again) and gives it a fresh one for what comes after; every node drops the old key
   * from memory once the transaction has committed ({@link #forgetEverywhere}).
   */
  public Future<DataKey> destroy(SqlClient transaction, String accountId) {
    cache.forget(accountId);
    return transaction.preparedQuery(DESTROY).execute(Tuple.of(accountId))
        .compose(deleted -> create(transaction, accountId));
  }

  /** Tells every node (this one included) to drop the account's keys from memory. */
  public void forgetEverywhere(String accountId) {
    cache.forget(accountId);
    vertx.eventBus().publish(ERASED_ADDRESS, accountId);
  }

  /** Drops an account's keys from this node's memory (the node's consumer of {@link #ERASED_ADDRESS}). */
  public static void forgetHere(Vertx vertx, String accountId) {
    KeyCache cache = KeyCache.existing(vertx);
    if (cache != null) {
      cache.forget(accountId);
    }
  }

  /**
   * Moves at most {@code limit} data keys wrapped by an older KEK to the active one, in one
   * transaction that skips rows other nodes are rewrapping; answers how many it moved (0: done).
   * The data keys themselves do not change, so nothing sealed with them is touched.
   */
  public Future<Integer> rewrapRound(Pool pool, int limit) {
    return pool.withTransaction(tx -> tx.preparedQuery(STALE).execute(Tuple.of(keks.activeId(), limit))
        .compose(rows -> {
          JsonArray moved = new JsonArray();
          for (Row row : rows) {
            String keyId = row.getString("key_id");
            byte[] plain = keks.unwrap(keyId, new WrappedKey(row.getString("kek_id"), row.getString("wrapped")));
            WrappedKey rewrapped = keks.wrap(keyId, plain);
            moved.add(new JsonObject().put("key_id", keyId).put("kek_id", rewrapped.kekId())
                .put("wrapped", rewrapped.text()));
          }
          return moved.isEmpty() ? Future.succeededFuture(0)
              : tx.preparedQuery(REWRAP).execute(Tuple.of(moved)).map(done -> moved.size());
        }));
  }

  /**
   * A key that is never stored, for values found in clear that belong to an erased account: sealed
   * with it they read as erased, exactly like the values sealed with the account's destroyed key.
   */
  public static DataKey shredded(String accountId) {
    return generate(accountId);
  }

  /** Rows read and unwrapped, by key id, and remembered. */
  private Future<Map<String, DataKey>> read(SqlClient client, String sql, Collection<String> ids) {
    return client.preparedQuery(sql).execute(Tuple.of(ids.toArray(String[]::new))).map(this::unwrapped);
  }

  private Map<String, DataKey> unwrapped(RowSet<Row> rows) {
    Map<String, DataKey> keys = new HashMap<>();
    long now = now();
    List<DataKey> read = new ArrayList<>();
    for (Row row : rows) {
      String keyId = row.getString("key_id");
      byte[] plain = keks.unwrap(keyId, new WrappedKey(row.getString("kek_id"), row.getString("wrapped")));
      read.add(new DataKey(row.getString("account_id"), keyId, new SecretKeySpec(plain, "AES")));
    }
    read.forEach(key -> {
      keys.put(key.keyId(), key);
      cache.put(key, now);
    });
    return keys;
  }

  private static DataKey generate(String accountId) {
    byte[] key = new byte[DATA_KEY_BYTES];
    RANDOM.nextBytes(key);
    byte[] id = new byte[12];
    RANDOM.nextBytes(id);
    return new DataKey(accountId, "dk" + HexFormat.of().formatHex(id), new SecretKeySpec(key, "AES"));
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
