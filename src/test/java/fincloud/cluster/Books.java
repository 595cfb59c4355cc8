package fincloud.cluster;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The books as SQL sees them after a fault run, held against what the clients were told: the sum
 * of posted balances, entries against posted transfers, Idempotency-Keys that took effect more
 * than once, and every acknowledged transfer in the books exactly once, posted, under the id the
 * client was given. Every transfer of a fault run has its own key, so a transfer is found by the
 * key's kept answer (its references are stored encrypted: SQL cannot read them), and a transfer
 * that no kept answer names took effect a second time (or without a key).
 */
final class Books {
  final long sumPosted;
  final long entries;
  final long postedTransfers;
  final long transfers;
  final long doubledReferences;
  private final Map<String, String> byReference = new HashMap<>();

  private Books(String pgUrl) {
    sumPosted = Api.number(pgUrl, "SELECT coalesce(sum(posted), 0) FROM accounts");
    entries = Api.number(pgUrl, "SELECT count(*) FROM entries");
    postedTransfers = Api.number(pgUrl, "SELECT count(*) FROM transfers WHERE status = 'POSTED'");
    transfers = Api.number(pgUrl, "SELECT count(*) FROM transfers");
    doubledReferences = Api.number(pgUrl, "SELECT count(*) FROM transfers t WHERE NOT EXISTS (SELECT 1"
        + " FROM idempotency_records r WHERE r.tenant = t.tenant AND r.response ->> 'id' = t.id)");
    for (String row : Api.column(pgUrl, "SELECT r.key || ' ' || t.id || ' ' || t.status FROM idempotency_records r"
        + " JOIN transfers t ON t.tenant = r.tenant AND t.id = r.response ->> 'id'")) {
      String[] parts = row.split(" ", 2);
      byReference.put(parts[0], parts[1]);
    }
  }

  static Books read(String pgUrl) {
    return new Books(pgUrl);
  }

  /** "id status" of the transfer this Idempotency-Key made, or null. */
  String byReference(String reference) {
    return byReference.get(reference);
  }

  /** Acknowledged transfers not in the books as posted under the id the client was given (a few examples, and the count). */
  List<String> missingOrWrong(Iterable<BankWorkload.Acked> acked) {
    List<String> wrong = new java.util.ArrayList<>();
    for (BankWorkload.Acked transfer : acked) {
      String found = byReference.get(transfer.key());
      if (!(transfer.transferId() + " POSTED").equals(found)) {
        wrong.add(transfer.key() + " acknowledged as " + transfer.transferId() + ", in the books: " + found);
      }
    }
    return wrong;
  }

  /** Records the bank-wide checks in the report; {@code acked} are the transfers the clients got a 201 for. */
  void check(FaultReport report, List<BankWorkload.Acked> acked) {
    checkLedger(report);
    List<String> wrong = missingOrWrong(acked);
    report.check(wrong.isEmpty(), "every acknowledged transfer (%d) is in the books exactly once, POSTED, under its id: %d not%s",
        acked.size(), wrong.size(), wrong.isEmpty() ? "" : " (e.g. " + wrong.subList(0, Math.min(3, wrong.size())) + ")");
  }

  /** Records the checks of the books alone (no client's view). */
  void checkLedger(FaultReport report) {
    report.check(sumPosted == 0, "sum of all posted balances is 0 (SQL): %d", sumPosted);
    report.check(entries == 2 * postedTransfers, "entries = 2 x posted transfers (SQL): %d entries, %d posted transfers",
        entries, postedTransfers);
    report.check(doubledReferences == 0, "no Idempotency-Key took effect twice: %d transfers no kept answer names, of %d",
        doubledReferences, transfers);
  }
}
