package fincloud.gateway;

/**
 * One client's requests on this node in the current window of its limit (windows are
 * {@code periodMs} long, counted from the epoch, so that every node agrees on them). The cluster
 * holds the client's count for the window; this node leases permits from it in batches of
 * {@link #batch} and spends them locally, so that a request never waits for the cluster. While a
 * lease is on its way, requests are admitted on credit that the lease pays back. When the cluster
 * does not answer a lease in time, this node falls back to counting alone for the rest of the
 * window. Whatever the cluster says, one node never admits more than the limit in one window:
 * that is the per-node limit a node falls back to.
 *
 * <p>Why the bound holds across gateways: permits leased in a window never exceed the limit (the
 * cluster's count refuses more), credit is at most what arrives during one lease, and at the end of
 * a window each node holds at most one unspent batch. With a batch of 2 % of the limit, five
 * gateways stay within 10 % of it either way.
 */
final class ClientQuota {
  /** Fraction of the limit leased at a time: five gateways' unspent batches are 10 % of the limit. */
  static final int BATCHES_PER_LIMIT = 50;

  enum Decision { ADMITTED, ADMITTED_LEASE, REFUSED }

  final int limit;
  final long periodMs;
  final int batch;
  private long window = Long.MIN_VALUE;
  private int permits;
  private int credit;
  private int admittedHere;
  private boolean exhausted;
  private boolean alone;
  private long leasingWindow = Long.MIN_VALUE;

  ClientQuota(int limit, long periodMs) {
    this.limit = limit;
    this.periodMs = periodMs;
    this.batch = Math.max(1, limit / BATCHES_PER_LIMIT);
  }

  long windowAt(long nowMs) {
    return Math.floorDiv(nowMs, periodMs);
  }

  /** Milliseconds from {@code nowMs} to the start of the next window. */
  long msToNextWindow(long nowMs) {
    return (windowAt(nowMs) + 1) * periodMs - nowMs;
  }

  /**
   * Admits or refuses one request in {@code window}; ADMITTED_LEASE asks the caller to lease a
   * batch for that window and to report the answer to {@link #leased} or {@link #unanswered}.
   */
  synchronized Decision admit(long window) {
    roll(window);
    if (admittedHere >= limit) {
      return Decision.REFUSED;
    }
    if (permits > 0) {
      permits--;
      admittedHere++;
      return permits == 0 ? leaseIfIdle() : Decision.ADMITTED;
    }
    if (exhausted) {
      return Decision.REFUSED;
    }
    admittedHere++;
    if (alone) {
      return Decision.ADMITTED;
    }
    credit++;
    return leaseIfIdle();
  }

  /**
   * The cluster granted {@code granted} of the {@code batch} asked for {@code window}; true when
   * another lease should follow at once (the credit ate the whole batch).
   */
  synchronized boolean leased(long window, int granted) {
    if (window != this.window) {
      return false;
    }
    leasingWindow = Long.MIN_VALUE;
    int paid = Math.min(credit, granted);
    credit -= paid;
    permits += granted - paid;
    if (granted < batch) {
      exhausted = true;
      return false;
    }
    if (permits == 0 && credit > 0) {
      leasingWindow = window;
      return true;
    }
    return false;
  }

  /** The cluster did not answer the lease for {@code window}: this node counts alone until it ends. */
  synchronized void unanswered(long window) {
    if (window == this.window) {
      leasingWindow = Long.MIN_VALUE;
      alone = true;
    }
  }

  synchronized boolean countingAlone() {
    return alone;
  }

  private Decision leaseIfIdle() {
    if (exhausted || alone || leasingWindow == window) {
      return Decision.ADMITTED;
    }
    leasingWindow = window;
    return Decision.ADMITTED_LEASE;
  }

  private void roll(long now) {
    if (now != window) {
      window = now;
      permits = 0;
      credit = 0;
      admittedHere = 0;
      exhausted = false;
      alone = false;
    }
  }
}
