package fincloud.gateway;

/**
 * One client's requests on this node in the current window of its limit (windows are
 * {@code periodMs} long, counted from the epoch, so that every node agrees on them). The cluster
 * holds the client's count for the window; this node leases permits from it in batches of
 * {@link #batch} and spends them locally, so that a request never waits for the cluster; the next
 * lease leaves when half a batch is left. While a lease is on its way and the permits are spent,
 * up to a batch of requests is admitted on credit, which the next lease asks for too: the
 * cluster's count is charged for every request admitted. Past that credit the client is told to
 * come back in a second, until the lease has been on its way {@link #LEASE_PATIENCE_MS}: then the
 * cluster's state counts as out of reach, and so it does after a failed lease, and the limit holds
 * per node (credit up to the whole limit in this window) until the cluster answers again. Whatever
 * the cluster says or fails to say, one node never admits more than the limit in one window.
 *
 * <p>Why the bound holds across gateways: permits leased in a window never exceed the limit (the
 * cluster's count refuses more), credit not paid back is at most one batch per node, and at the
 * end of a window each node holds at most one unspent batch and a half. With a batch of 2 % of
 * the limit, three gateways stay within 10 % of it either way (five within 15 % at worst).
 */
final class ClientQuota {
  /** Fraction of the limit leased at a time: five gateways' unspent batches are 10 % of the limit. */
  static final int BATCHES_PER_LIMIT = 50;
  /** After a failed lease, the next one waits this long (a cluster that fails fast is not asked per request). */
  static final long RETRY_AFTER_FAILURE_MS = 1000;

  /** How long a lease may take before the cluster's state counts as out of reach. */
  static final long LEASE_PATIENCE_MS = 1000;

  /** REFUSED: over the limit until the window ends; WAIT: the lease is late, come back in a second. */
  enum Decision { ADMITTED, ADMITTED_LEASE, REFUSED, WAIT }

  final int limit;
  final long periodMs;
  final int batch;
  private long window = Long.MIN_VALUE;
  private int permits;
  private int credit;
  private int admittedHere;
  private boolean exhausted;
  private long noLeaseBeforeMs = Long.MIN_VALUE;
  private long leasingWindow = Long.MIN_VALUE;
  private long leaseSentMs;

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
   * Admits or refuses one request at {@code nowMs}; ADMITTED_LEASE asks the caller to lease
   * {@link #leaseSize()} permits for the window of {@code nowMs} and to report the answer to
   * {@link #leased} or {@link #leaseFailed}.
   */
  synchronized Decision admit(long nowMs) {
    roll(windowAt(nowMs));
    if (admittedHere >= limit) {
      return Decision.REFUSED;
    }
    if (permits > 0) {
      permits--;
      admittedHere++;
      return permits <= batch / 2 ? leaseIfIdle(nowMs) : Decision.ADMITTED;
    }
    if (exhausted) {
      return Decision.REFUSED;
    }
    if (leasingWindow == window && credit >= batch && nowMs - leaseSentMs < LEASE_PATIENCE_MS) {
      return Decision.WAIT;
    }
    admittedHere++;
    credit++;
    return leaseIfIdle(nowMs);
  }

  /** Permits the next lease asks for: a batch, and the credit given meanwhile. */
  synchronized int leaseSize() {
    return batch + credit;
  }

  /**
   * The cluster granted {@code granted} of the {@code asked} permits for {@code window}; true when
   * another lease should follow at once (credit given meanwhile ate them all).
   */
  synchronized boolean leased(long window, int asked, int granted, long nowMs) {
    if (window != this.window) {
      return false;
    }
    leasingWindow = Long.MIN_VALUE;
    int paid = Math.min(credit, granted);
    credit -= paid;
    permits += granted - paid;
    if (granted < asked) {
      exhausted = true;
      return false;
    }
    if (permits == 0 && credit > 0) {
      leasingWindow = window;
      leaseSentMs = nowMs;
      return true;
    }
    return false;
  }

  /** The lease for {@code window} failed: credit stays owed, the next lease waits a little. */
  synchronized void leaseFailed(long window, long nowMs) {
    if (window == this.window) {
      leasingWindow = Long.MIN_VALUE;
      noLeaseBeforeMs = nowMs + RETRY_AFTER_FAILURE_MS;
    }
  }

  private Decision leaseIfIdle(long nowMs) {
    if (exhausted || leasingWindow == window || nowMs < noLeaseBeforeMs) {
      return Decision.ADMITTED;
    }
    leasingWindow = window;
    leaseSentMs = nowMs;
    return Decision.ADMITTED_LEASE;
  }

  private void roll(long now) {
    if (now != window) {
      window = now;
      permits = 0;
      credit = 0;
      admittedHere = 0;
      exhausted = false;
      noLeaseBeforeMs = Long.MIN_VALUE;
    }
  }
}
