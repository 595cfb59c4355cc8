package fincloud.shared;

/** Event-bus addresses, {@code fincloud.<service>.<operation>}; bodies are JSON objects. */
public final class Addresses {
  private Addresses() {
  }

  public static final String ACCOUNTS_OPEN = "fincloud.accounts.open";
  public static final String ACCOUNTS_GET = "fincloud.accounts.get";
  public static final String ACCOUNTS_LIST = "fincloud.accounts.list";
  public static final String ACCOUNTS_ENTRIES = "fincloud.accounts.entries";
  public static final String ACCOUNTS_FREEZE = "fincloud.accounts.freeze";
  public static final String ACCOUNTS_UNFREEZE = "fincloud.accounts.unfreeze";
  public static final String ACCOUNTS_CLOSE = "fincloud.accounts.close";
  public static final String LEDGER_TRIAL_BALANCE = "fincloud.accounts.trial-balance";

  public static final String TRANSFERS_CREATE = "fincloud.payments.create";
  public static final String TRANSFERS_BATCH = "fincloud.payments.batch";
  public static final String TRANSFERS_POST = "fincloud.payments.post";
  public static final String TRANSFERS_VOID = "fincloud.payments.void";
  public static final String TRANSFERS_GET = "fincloud.payments.get";
  public static final String TRANSFERS_LIST = "fincloud.payments.list";

  public static final String RISK_SCORE = "fincloud.risk.score";

  /** Node-local (every node answers for itself): the cluster's nodes, for GET /v1/cluster. */
  public static final String CLUSTER_NODES = "fincloud.node.cluster";
  /** Node-local: whether this node is a member of its cluster, for /health/ready. */
  public static final String CLUSTER_HEALTH = "fincloud.node.cluster-health";

  /** Published by payments after each committed ledger group: {@code {"transfers":[...]}}. */
  public static final String LEDGER_EVENTS = "fincloud.payments.events";
}
