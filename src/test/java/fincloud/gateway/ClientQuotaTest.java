package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decisions of one node's share of a client's limit, with the cluster's count played by the
 * test: gateways that lease from one count admit the limit in total (within 10 %, however the
 * requests are spread), and a gateway whose lease is never answered still holds the limit alone.
 */
class ClientQuotaTest {
  private static final long WINDOW = 7;

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
      gateways.add(new ClientQuota(limit, 1000));
    }
    int admitted = 0;
    // Ten times the limit, spread unevenly (gateway i gets i+1 shares); leases answered at once.
    for (int request = 0; request < 10 * limit; request++) {
      ClientQuota gateway = gateways.get(pick(request));
      ClientQuota.Decision decision = gateway.admit(WINDOW);
      if (decision != ClientQuota.Decision.REFUSED) {
        admitted++;
      }
      boolean again = decision == ClientQuota.Decision.ADMITTED_LEASE;
      while (again) {
        again = gateway.leased(WINDOW, count.lease(gateway.batch));
      }
    }
    assertThat(admitted).isBetween(limit * 9 / 10, limit * 11 / 10);
  }

  @Test
  void creditTakenWhileALeaseIsOnItsWayIsPaidBackByIt() {
    ClientQuota gateway = new ClientQuota(100, 1000);
    Count count = new Count(100);
    assertThat(gateway.admit(WINDOW)).isEqualTo(ClientQuota.Decision.ADMITTED_LEASE);
    assertThat(gateway.admit(WINDOW)).isEqualTo(ClientQuota.Decision.ADMITTED);
    // Two requests on credit, a batch of two granted: nothing left, the next lease goes at once.
    assertThat(gateway.leased(WINDOW, count.lease(gateway.batch))).isFalse();
    assertThat(gateway.admit(WINDOW)).isEqualTo(ClientQuota.Decision.ADMITTED_LEASE);
  }

  @Test
  void aGatewayWhoseLeaseIsNeverAnsweredHoldsTheLimitAlone() {
    ClientQuota gateway = new ClientQuota(100, 1000);
    int admitted = 0;
    for (int request = 0; request < 300; request++) {
      if (request == 10) {
        gateway.unanswered(WINDOW);
      }
      if (gateway.admit(WINDOW) != ClientQuota.Decision.REFUSED) {
        admitted++;
      }
    }
    assertThat(admitted).isEqualTo(100);
    assertThat(gateway.countingAlone()).isTrue();
    // The next window asks the cluster again.
    assertThat(gateway.admit(WINDOW + 1)).isEqualTo(ClientQuota.Decision.ADMITTED_LEASE);
    assertThat(gateway.countingAlone()).isFalse();
  }

  @Test
  void aLeaseAnsweredAfterItsWindowIsIgnored() {
    ClientQuota gateway = new ClientQuota(100, 1000);
    gateway.admit(WINDOW);
    gateway.admit(WINDOW + 1);
    assertThat(gateway.leased(WINDOW, 2)).isFalse();
    int admitted = 0;
    for (int request = 0; request < 300; request++) {
      if (gateway.admit(WINDOW + 1) != ClientQuota.Decision.REFUSED) {
        admitted++;
      }
    }
    // Never answered for WINDOW + 1: credit only, up to the per-node limit.
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
