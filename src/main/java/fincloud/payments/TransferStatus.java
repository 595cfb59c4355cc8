package fincloud.payments;

/**
 * The status of a transfer, as the API and the transfers table spell it: a hold is PENDING until
 * it is POSTED or VOIDED, an immediate transfer is POSTED from the start. The SQL that selects by
 * status keeps the literal (the partial index of expiring holds is defined on {@code 'PENDING'}).
 */
enum TransferStatus {
  POSTED, PENDING, VOIDED
}
