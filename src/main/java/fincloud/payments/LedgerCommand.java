package fincloud.payments;

import fincloud.shared.ErrorCode;
import fincloud.shared.RequestContext;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** What the ledger writer can be asked to do; each command is one all-or-nothing unit. */
public sealed interface LedgerCommand {

  /** The caller, or null for the system's own work (expiry). */
  RequestContext caller();

  /**
   * Create one transfer, or a batch of them applied in order ({@code batch} sets the answer's
   * shape). {@code refusal}, when set, is a refusal already decided before the ledger (unknown
   * account, same account, currency, status, risk) for the item at its index: the items before it
   * still get their chance to fail first.
   */
  record Create(RequestContext caller, List<TransferItem> items, boolean batch, Refusal refusal)
      implements LedgerCommand {
  }

  /** Post (all, or {@code amount} of it) or void a PENDING transfer. */
  record Settle(RequestContext caller, String transferId, boolean post, Long amount) implements LedgerCommand {
  }

  /** Void a PENDING transfer past its expiry, if it still is one; run by the system. */
  record Expire(String transferId) implements LedgerCommand {
    @Override
    public RequestContext caller() {
      return null;
    }
  }

  /**
   * A refusal of the item at {@code index} (0 for a settlement, which concerns one transfer); its
   * texts are {@link Rejections}'.
   */
  record Refusal(int index, ErrorCode code, String detail, JsonObject extra) {
  }
}
