package fincloud.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CI suite's short version of {@link NodeKillFaultIT} (issue 17's fault run): the same cluster,
 * bank workload and checks, with 2 kill -9, one 10 s freeze of the oldest member (Hazelcast's
 * master) and a rolling restart. Its report goes to {@code target/fault-reports}, not into the
 * source tree.
 */
class NodeLossShortIT {
  @Test
  @Timeout(900)
  void twoKillsAFrozenMasterAndARollingRestartCostNoMoney() throws Exception {
    NodeKillFaultIT.run("node-loss-short", ClusterHarness.workDirectory().resolveSibling("fault-reports"), 2, 1, 7);
  }
}
