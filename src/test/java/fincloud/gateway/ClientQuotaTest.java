package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decisions of one node's share of a client's limit, with the cluster's count played by the
 * test: gateways that lease from one count admit the limit in total (within 10 %, however the
 * requests are spread), a gateway whose lease is never answered still holds the limit alone, and
 * the credit it gave meanwhile is charged to the count when the lease is answered.
 */
class ClientQuotaTest {
  /**
   * The windows are 10 s long, longer than the lease patience, so that a late lease is still late in
   * its own window: a time in window 7, and one in window 8.
   */
  private static final long PERIOD_MS = 10_000;
  private static final long WINDOW = 7;
  private static final long NOW = 75_000;
  private static final long NEXT = 81_000;

  /** The cluster's count of one window, granting as the real one does: never past the limit. */
  private static final class Count {
    private final int limit;
    private int leased;

    Count(int limit) {
      this.limit = limit;
    }

    int lease(int want) {
      int granted = Math.max(0, Math.min(want, limit - leased));
      leased += granted;
      return granted;
    }
  }

  @Test
  void fiveGatewaysAdmitTheLimitInTotalWithinTenPercent() {
    int limit = 1000;
    Count count = new Count(limit);
    List<ClientQuota> gateways = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      gateways.add(new ClientQuota(limit, PERIOD_MS));
    }
    int admitted = 0;
    // Ten times the limit, spread unevenly (gateway i gets i+1 shares); leases answered at once.
    for (int request = 0; request < 10 * limit; request++) {
      ClientQuota gateway = gateways.get(pick(request));
      ClientQuota.Decision decision = gateway.admit(NOW);
      if (decision == ClientQuota.Decision.ADMITTED || decision == ClientQuota.Decision.ADMITTED_LEASE) {
        admitted++;
      }
      boolean again = decision == ClientQuota.Decision.ADMITTED_LEASE;
      while (again) {
        int asked = gateway.leaseSize();
        again = gateway.leased(WINDOW, asked, count.lease(asked), NOW);
      }
    }
    assertThat(admitted).isBetween(limit * 9 / 10, limit * 11 / 10);
  }

  @Test
  void creditTakenWhileALeaseIsOnItsWayIsPaidBackByIt() {
    ClientQuota gateway = new ClientQuota(100, PERIOD_MS);
    Count count = new Count(100);
    assertThat(gateway.admit(NOW)).isEqualTo(ClientQuota.Decision.ADMITTED_LEASE);
    int asked = gateway.leaseSize();
    assertThat(gateway.admit(NOW)).isEqualTo(ClientQuota.Decision.ADMITTED);
    // A batch (2) on credit while the lease is on its way: the next is asked to come back.
    assertThat(gateway.admit(NOW)).isEqualTo(ClientQuota.Decision.WAIT);
    assertThat(asked).isEqualTo(gateway.batch + 1);
    // Two requests on credit, three permits granted: one left to spend, then the next lease.
    assertThat(gateway.leased(WINDOW, asked, count.lease(asked), NOW)).isFalse();
    assertThat(gateway.admit(NOW)).isEqualTo(ClientQuota.Decision.ADMITTED_LEASE);
    assertThat(count.leased).isEqualTo(3);
  }

  @Test
  void aGatewayWhoseLeaseIsNeverAnsweredHoldsTheLimitAloneAndIsChargedLater() {
    ClientQuota gateway = new ClientQuota(100, PERIOD_MS);
    Count count = new Count(100);
    int admitted = 0;
    for (int request = 0; request < 300; request++) {
      // The first ones while the lease may still be answered in time, the rest after.
      long at = request < 100 ? NOW : NOW + ClientQuota.LEASE_PATIENCE_MS;
      if (gateway.admit(at) == ClientQuota.Decision.ADMITTED) {
        admitted++;
      }
    }
    assertThat(admitted).isEqualTo(99);
    // The lease asked when the first request came, answered only now: the count is charged for the
    // credit given meanwhile, and the next lease asks for all of it.
    assertThat(gateway.leased(WINDOW, 2, count.lease(2), NOW)).isTrue();
    int asked = gateway.leaseSize();
    assertThat(asked).isEqualTo(98 + gateway.batch);
    gateway.leased(WINDOW, asked, count.lease(asked), NOW);
    assertThat(count.leased).isEqualTo(100);
    assertThat(gateway.admit(NOW)).isEqualTo(ClientQuota.Decision.REFUSED);
  }

  @Test
  void afterAFailedLeaseTheNextWaitsASecondAndTheLimitHoldsPerNodeMeanwhile() {
    ClientQuota gateway = new ClientQuota(100, PERIOD_MS);
    assertThat(gateway.admit(NOW)).isEqualTo(ClientQuota.Decision.ADMITTED_LEASE);
    gateway.leaseFailed(WINDOW, NOW);
    int admitted = 1;
    for (int request = 0; request < 300; request++) {
      ClientQuota.Decision decision = gateway.admit(NOW + 10);
      assertThat(decision).isNotEqualTo(ClientQuota.Decision.ADMITTED_LEASE);
      if (decision != ClientQuota.Decision.REFUSED) {
        admitted++;
      }
    }
    assertThat(admitted).isEqualTo(100);
    // The next window asks the cluster again.
    assertThat(gateway.admit(NEXT)).isEqualTo(ClientQuota.Decision.ADMITTED_LEASE);
  }

  @Test
  void aLeaseAnsweredAfterItsWindowIsIgnored() {
    ClientQuota gateway = new ClientQuota(100, PERIOD_MS);
    gateway.admit(NOW);
    gateway.admit(NEXT);
    assertThat(gateway.leased(WINDOW, 2, 2, NEXT)).isFalse();
    int admitted = 0;
    for (int request = 0; request < 300; request++) {
      if (gateway.admit(NEXT + ClientQuota.LEASE_PATIENCE_MS) == ClientQuota.Decision.ADMITTED) {
        admitted++;
      }
    }
    // Never answered for the next window: credit only, up to the per-node limit.
    assertThat(admitted).isEqualTo(99);
  }

  @Test
  void windowsAreCountedFromTheEpoch() {
    ClientQuota quota = new ClientQuota(10, 60_000);
    assertThat(quota.windowAt(120_000)).isEqualTo(2);
    assertThat(quota.msToNextWindow(170_000)).isEqualTo(10_000);
  }

  private static int pick(int request) {
    int slot = request % 15;
    return slot < 1 ? 0 : slot < 3 ? 1 : slot < 6 ? 2 : slot < 10 ? 3 : 4;
  }
}
