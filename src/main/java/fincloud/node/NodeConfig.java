package fincloud.node;

import fincloud.audit.AuditSettings;
import fincloud.gateway.GatewaySettings;
import fincloud.payments.LedgerSettings;
import fincloud.payments.RiskClientSettings;
import fincloud.privacy.PrivacySettings;
import fincloud.risk.RiskSettings;
import fincloud.shared.ConfigSection;
import fincloud.shared.InvalidSettingException;
import fincloud.shared.MultiHostUrl;
import fincloud.shared.NodeIdentity;
import fincloud.shared.PoolSettings;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The node's configuration, read and checked once at start-up, before anything starts: every
 * section becomes the typed settings of the roles that use it, and a missing or bad value stops the
 * start with an {@link InvalidSettingException} that names its key (README.md, Configuration).
 */
public final class NodeConfig {
  public static final List<String> ALL_ROLES = List.of("gateway", "accounts", "payments", "risk", "audit");

  private final JsonObject json;
  private final boolean demo;
  private final NodeIdentity identity;
  private final Set<String> roles;
  private final String pgUrl;
  private final String pgMigrationUrl;
  private final int pgPort;
  private final boolean requireDurable;
  private final PoolSettings database;
  private final ClusterSettings cluster;
  private final GatewaySettings gateway;
  private final LedgerSettings ledger;
  private final RiskSettings risk;
  private final RiskClientSettings riskCalls;
  private final AuditSettings audit;
  private final PrivacySettings privacy;

  /** @param json the merged configuration (defaults, file, environment) */
  public NodeConfig(JsonObject given) {
    demo = DemoMode.on(ConfigSection.root(given));
    JsonObject json = demo ? DemoMode.withDemoClients(given) : given;
    ConfigSection root = ConfigSection.root(json);
    this.json = json.copy();
    identity = NodeIdentity.from(root);
    roles = roles(root);
    pgUrl = root.optionalText("FINCLOUD_PG_URL");
    checkPgUrl(pgUrl);
    pgMigrationUrl = root.optionalText("FINCLOUD_PG_MIGRATION_URL");
    pgPort = root.integer("FINCLOUD_PG_PORT", 0, 65_535);
    requireDurable = root.section("database").bool("requireDurable");
    database = PoolSettings.from(root);
    cluster = ClusterSettings.from(root);
    gateway = GatewaySettings.from(root, identity.dataDir());
    ledger = LedgerSettings.from(root.section("ledger"));
    risk = RiskSettings.from(root.section("risk"));
    audit = AuditSettings.from(root.section("audit"), identity.dataDir(), root.optionalText("FINCLOUD_AUDIT_KEY_FILE"));
    privacy = PrivacySettings.from(root.section("privacy"), identity.dataDir(), root.optionalText("FINCLOUD_KEK_FILE"));
    riskCalls = RiskClientSettings.from(root);
    requireCallers(root);
    requireCallerKey(root);
    requireKeyEncryptionKeys(root);
  }

  /**
   * Every node of a cluster must unwrap the data keys the others wrapped: outside demo mode a
   * clustered node must be given the shared key-encryption keys, which no node can invent alone.
   */
  private void requireKeyEncryptionKeys(ConfigSection root) {
    if (!demo && identity.clustered() && !privacy.configured()) {
      throw root.section("privacy").refused("keyFile", "a file with the cluster's key-encryption keys (or privacy.keys, "
          + "or FINCLOUD_KEK_FILE) on every clustered node outside demo mode", null);
    }
  }

  /**
   * A clustered node outside demo mode must be given the cluster key that proves callers on the
   * event bus: every node of the deployment needs the same one, which no node can invent alone.
   */
  private void requireCallerKey(ConfigSection root) {
    if (!demo && identity.clustered() && cluster.callerKey() == null) {
      throw root.section("cluster").refused("callerKeyFile", "a file with the cluster's caller key (32 random bytes, "
          + "base64; or cluster.callerKey, or FINCLOUD_CALLER_KEY_FILE) on every clustered node outside demo mode", null);
    }
  }

  /**
   * Outside demo mode nobody could call a gateway without clients (or an external identity
   * provider): refuse to start, naming what to set, rather than serve 401 to everyone.
   */
  private void requireCallers(ConfigSection root) {
    if (!demo && roles.contains("gateway") && gateway.clients().isEmpty() && gateway.jwks() == null) {
      throw root.refused("clients", "at least one client {id, tenant, scopes, secretHash} outside demo mode (or set "
          + DemoMode.KEY + "=true for the demo clients, or FINCLOUD_JWKS_URL for an identity provider)", List.of());
    }
  }

  /** One server or several (the multi-host form of a failover pair): refused at start-up when malformed. */
  private static void checkPgUrl(String pgUrl) {
    if (pgUrl == null) {
      return;
    }
    try {
      MultiHostUrl.parse(pgUrl).connectOptions();
    } catch (IllegalArgumentException refused) {
      // the message names the key, never the URL (it may carry a password)
      throw new InvalidSettingException("FINCLOUD_PG_URL is not a PostgreSQL URL: " + refused.getMessage());
    }
  }

  private static Set<String> roles(ConfigSection root) {
    String roles = root.text("FINCLOUD_ROLES");
    if (roles.equals("all")) {
      return Collections.unmodifiableSet(new LinkedHashSet<>(ALL_ROLES));
    }
    Set<String> chosen = new LinkedHashSet<>();
    for (String role : roles.split("[,\\s]+")) {
      if (!ALL_ROLES.contains(role)) {
        throw root.refused("FINCLOUD_ROLES", "all, or some of " + String.join(", ", ALL_ROLES), roles);
      }
      chosen.add(role);
    }
    return Collections.unmodifiableSet(chosen);
  }

  /** Demo mode: the demo clients exist (FINCLOUD_DEMO, or unset with the embedded database). */
  public boolean demo() {
    return demo;
  }

  /** The merged configuration (read-only copy), for the call policies. */
  public JsonObject json() {
    return json.copy();
  }

  public NodeIdentity identity() {
    return identity;
  }

  public Set<String> roles() {
    return roles;
  }

  /** The PostgreSQL URL, or null to start the embedded server. */
  public String pgUrl() {
    return pgUrl;
  }

  /** The database as the owner of its tables, who runs the migrations; null: {@link #pgUrl()}. */
  public String pgMigrationUrl() {
    return pgMigrationUrl;
  }

  /** The embedded server's port; 0 for a free one. */
  public int pgPort() {
    return pgPort;
  }

  /** Refuse a server with fsync, synchronous_commit or full_page_writes off. */
  public boolean requireDurable() {
    return requireDurable;
  }

  public PoolSettings database() {
    return database;
  }

  ClusterSettings cluster() {
    return cluster;
  }

  public GatewaySettings gateway() {
    return gateway;
  }

  public LedgerSettings ledger() {
    return ledger;
  }

  /** How payments calls risk, and its fallback. */
  public RiskClientSettings riskCalls() {
    return riskCalls;
  }

  public RiskSettings risk() {
    return risk;
  }

  public AuditSettings audit() {
    return audit;
  }

  public PrivacySettings privacy() {
    return privacy;
  }
}
