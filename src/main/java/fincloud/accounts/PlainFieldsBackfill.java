package fincloud.accounts;

import fincloud.accounts.PlainFieldsRepository.Fields;
import fincloud.idempotency.PlainAnswers;
import fincloud.idempotency.PlainAnswers.Kept;
import fincloud.privacy.CustomerFields;
import fincloud.privacy.DataKey;
import fincloud.privacy.DataKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Seals the customer fields that a version before encryption left in clear: accounts' ownerRef and
 * metadata, transfers' reference and metadata, and the answers kept for Idempotency-Keys, each
 * with the key of the account it belongs to (a transfer's: its debit account's), made now for an
 * account that has none yet, as at opening. A value of an erased account is sealed with a key that
 * is never stored, so that it reads as erased like the rest. Runs in bounded rounds, one short
 * transaction per table, on every node with the accounts role: rows another node holds are
 * skipped, and a sealed value is never sealed again (it has the {@code fc1:} form), so that any
 * number of nodes may run it at once, and stop anywhere. Audit records are not touched: their hash
 * covers what they stored (docs/threat-model.md says what an upgrade leaves in clear).
 */
final class PlainFieldsBackfill {
  private final Pool pool;
  private final DataKeys keys;
  private final int batch;

  /** @param batch rows of each table sealed at most in one round */
  PlainFieldsBackfill(Pool pool, DataKeys keys, int batch) {
    this.pool = pool;
    this.keys = keys;
    this.batch = batch;
  }

  /** Rounds until one seals nothing (or {@code stopping}); answers how many rows were sealed. */
  Future<Integer> drain(BooleanSupplier stopping) {
    if (stopping.getAsBoolean()) {
      return Future.succeededFuture(0);
    }
    return round().compose(sealed -> sealed == 0 ? Future.succeededFuture(0)
        : drain(stopping).map(more -> sealed + more));
  }

  /** One round: at most {@code batch} rows of each table; answers how many it sealed. */
  Future<Integer> round() {
    return pool.withTransaction(this::sealAccounts)
        .compose(accounts -> pool.withTransaction(this::sealTransfers).map(transfers -> accounts + transfers))
        .compose(rows -> pool.withTransaction(this::sealAnswers).map(answers -> rows + answers));
  }

  /**
   * In an erasure's transaction: seals the fields in clear of the transfers the account debited with
   * a key that is never stored (those another transaction holds are left to the rounds, which see
   * the account erased).
   */
  static Future<Void> shredDebits(SqlClient transaction, String accountId) {
    return PlainFieldsRepository.lockDebitedBy(transaction, accountId).compose(found ->
        PlainFieldsRepository.sealTransfers(transaction, found.stream()
            .map(f -> sealed(f, DataKeys.shredded(accountId), "reference")).toList()));
  }

  private Future<Integer> sealAccounts(SqlClient tx) {
    return PlainFieldsRepository.lockAccounts(tx, batch).compose(found -> found.isEmpty() ? Future.succeededFuture(0)
        : keys.forAccounts(tx, accountIds(found)).compose(byAccount -> PlainFieldsRepository.sealAccounts(tx,
            found.stream().map(f -> sealed(f, byAccount.get(f.accountId()), "ownerRef")).toList())
            .map(found.size())));
  }

  private Future<Integer> sealTransfers(SqlClient tx) {
    return PlainFieldsRepository.lockTransfers(tx, batch).compose(found -> found.isEmpty() ? Future.succeededFuture(0)
        : keys.forAccounts(tx, accountIds(found.stream().filter(f -> !f.erased()).toList())).compose(byAccount ->
            PlainFieldsRepository.sealTransfers(tx, found.stream().map(f -> sealed(f,
                f.erased() ? DataKeys.shredded(f.accountId()) : byAccount.get(f.accountId()), "reference")).toList())
                .map(found.size())));
  }

  /**
   * The accounts an answer mentions are share-locked like a transfer's debit account; an answer
   * some of whose accounts another transaction holds (or that names no account) waits for a later round.
   */
  private Future<Integer> sealAnswers(SqlClient tx) {
    return PlainAnswers.lockSome(tx, batch).compose(found -> {
      if (found.isEmpty()) {
        return Future.succeededFuture(0);
      }
      Set<String> owners = new HashSet<>();
      found.forEach(kept -> owners.addAll(CustomerFields.plainOwners(kept.response())));
      return PlainFieldsRepository.lockAccountStates(tx, owners).compose(erased -> keys.forAccounts(tx,
          erased.keySet().stream().filter(id -> !erased.get(id)).collect(Collectors.toSet())).compose(byAccount -> {
            List<Kept> sealed = found.stream()
                .filter(kept -> erased.keySet().containsAll(CustomerFields.plainOwners(kept.response())))
                .map(kept -> new Kept(kept.tenant(), kept.key(), CustomerFields.sealPlain(kept.response(),
                    id -> erased.get(id) ? DataKeys.shredded(id) : byAccount.get(id))))
                .toList();
            return PlainAnswers.replace(tx, sealed).map(sealed.size());
          }));
    });
  }

  /** The fields with those in clear sealed with {@code key}; {@code textField} names the text one. */
  private static Fields sealed(Fields fields, DataKey key, String textField) {
    String text = CustomerFields.isSealedText(fields.text()) ? fields.text()
        : CustomerFields.sealText(key, textField, fields.text());
    JsonObject metadata = CustomerFields.isSealedMetadata(fields.metadata()) ? fields.metadata()
        : CustomerFields.sealMetadata(key, fields.metadata());
    return new Fields(fields.id(), fields.accountId(), text, metadata, fields.erased());
  }

  private static Set<String> accountIds(List<Fields> fields) {
    return fields.stream().map(Fields::accountId).collect(Collectors.toSet());
  }
}
