package fincloud.gateway;

import fincloud.gateway.GatewaySettings.AuditStreamLimits;
import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import java.util.HashMap;
import java.util.Map;

/**
 * The live audit streams one node keeps open, per client and in all ({@code gateway.auditStreams}).
 * Apart from the work slots ({@code gateway.maxInFlight}): a stream lasts as long as its token, and
 * one {@code audit:read} client with thousands of them took every slot of the node. Shared by the
 * node's gateway instances, which run on different event loops: hence the locks.
 */
final class AuditStreamSlots {
  private final AuditStreamLimits limits;
  private final Map<String, Integer> byClient = new HashMap<>();
  private int open;

  AuditStreamSlots(AuditStreamLimits limits) {
    this.limits = limits;
  }

  /** Takes a slot for {@code clientId}, or refuses: 429 past the client's limit, 503 past the node's. */
  synchronized void take(String clientId) {
    int clients = byClient.getOrDefault(clientId, 0);
    if (clients >= limits.perClient()) {
      throw new ServiceException(ErrorCode.RATE_LIMITED, "client " + clientId + " already has "
          + limits.perClient() + " audit streams open on this node");
    }
    if (open >= limits.perNode()) {
      throw new ServiceException(ErrorCode.UNAVAILABLE, "this node has " + limits.perNode()
          + " audit streams open, its limit");
    }
    byClient.put(clientId, clients + 1);
    open++;
  }

  synchronized void release(String clientId) {
    byClient.computeIfPresent(clientId, (client, count) -> count > 1 ? count - 1 : null);
    open--;
  }

  synchronized int open() {
    return open;
  }
}
