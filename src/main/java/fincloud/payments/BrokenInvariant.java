package fincloud.payments;

/**
 * A ledger invariant that a decided group breaks: a bug in the book, never the caller's mistake.
 * The ledger writer does not commit such a group; it retries its commands one by one, and answers
 * the one that still breaks it 503.
 */
final class BrokenInvariant extends IllegalStateException {
  BrokenInvariant(String message) {
    super(message);
  }
}
