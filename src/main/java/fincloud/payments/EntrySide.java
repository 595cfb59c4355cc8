package fincloud.payments;

/** The side of a ledger entry: every posted amount is one DEBIT entry and one CREDIT entry. */
enum EntrySide {
  DEBIT, CREDIT
}
