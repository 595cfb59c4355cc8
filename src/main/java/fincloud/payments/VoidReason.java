package fincloud.payments;

/** Why a hold was voided: a caller asked, or the system found it past its expiry. */
enum VoidReason {
  REQUESTED, EXPIRED
}
