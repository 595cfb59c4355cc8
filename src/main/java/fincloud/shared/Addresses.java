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
  public static final String ACCOUNTS_ERASE = "fincloud.accounts.erase";
  public static final String LEDGER_TRIAL_BALANCE = "fincloud.accounts.trial-balance";

  public static final String TRANSFERS_CREATE = "fincloud.payments.create";
  public static final String TRANSFERS_BATCH = "fincloud.payments.batch";
  public static final String TRANSFERS_POST = "fincloud.payments.post";
  public static final String TRANSFERS_VOID = "fincloud.payments.void";
  public static final String TRANSFERS_GET = "fincloud.payments.get";
  public static final String TRANSFERS_LIST = "fincloud.payments.list";

  /**
   * {@code {"tenant","batch","items":[...]}} -> {@code {"decisions":[...],"reservations":[...]}}: the
   * reservations are velocity slots taken for the approved items.
   */
  public static final String RISK_SCORE = "fincloud.risk.score";
  /** Sent by payments when a scored request made no transfer: {@code {"tenant","reservations":[...]}}. */
  public static final String RISK_RELEASE = "fincloud.risk.release";
  public static final String RISK_RULES_GET = "fincloud.risk.rules-get";
  public static final String RISK_RULES_PUT = "fincloud.risk.rules-put";
  /** Published after a rule set change: {@code {"tenant","version","rules"}}; every risk verticle installs it. */
  public static final String RISK_RULES_CHANGED = "fincloud.risk.rules-changed";

  public static final String AUDIT_EVENTS = "fincloud.audit.events";
  public static final String AUDIT_VERIFY = "fincloud.audit.verify";
  public static final String AUDIT_KEYS = "fincloud.audit.keys";
  public static final String AUDIT_CHECKPOINTS = "fincloud.audit.checkpoints";
  public static final String AUDIT_PROOF = "fincloud.audit.proof";
  /** Published by a sealer after it committed checkpoints: {@code {"tenant","seq","jws"}}, one message each. */
  public static final String AUDIT_CHECKPOINT_SIGNED = "fincloud.audit.checkpoint-signed";
  public static final String AUDIT_FULL_VERIFICATION_START = "fincloud.audit.full-verification.start";
  public static final String AUDIT_FULL_VERIFICATION = "fincloud.audit.full-verification";
  /** Slices of a chain that the gateway pages through to stream exports and live events. */
  public static final String AUDIT_RANGE = "fincloud.audit.range";
  /**
   * Prefix of the per-tenant addresses ({@code fincloud.audit.sealed.<tenant>}) on which the sealer
   * publishes {@code {"tenant","headSeq"}} after each commit that grew the chain.
   */
  public static final String AUDIT_SEALED = "fincloud.audit.sealed";

  /** Answered by the gateways: revoking an access token by its jti. */
  public static final String TOKENS_REVOKE = "fincloud.gateway.tokens.revoke";

  /** Node-local (every node answers for itself): the cluster's nodes, for GET /v1/cluster. */
  public static final String CLUSTER_NODES = "fincloud.node.cluster";
  /** Node-local: whether this node is a member of its cluster, for /health/ready. */
  public static final String CLUSTER_HEALTH = "fincloud.node.cluster-health";

  /** Prefix of the node-local twin of every service address (see {@link #local}). */
  public static final String LOCAL_PREFIX = "local.";

  /**
   * The twin of {@code address} that only this node's instances of the service consume, so that a
   * node that runs a service calls its own instance first (no network, no dead node on the way).
   */
  public static String local(String address) {
    return LOCAL_PREFIX + address;
  }

  /** The cluster-wide address a local twin stands for (the address itself otherwise). */
  public static String clusterWide(String address) {
    return address.startsWith(LOCAL_PREFIX) ? address.substring(LOCAL_PREFIX.length()) : address;
  }
}
