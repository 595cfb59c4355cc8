package fincloud.payments;

/** What the caller asked for: money moved at once, or a hold to post or void later. */
public enum TransferMode {
  IMMEDIATE, PENDING
}
