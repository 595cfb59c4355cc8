package fincloud.gateway;

import static fincloud.gateway.ApiRoute.list;
import static fincloud.gateway.ApiRoute.read;
import static fincloud.gateway.ApiRoute.replace;
import static fincloud.gateway.ApiRoute.write;

import fincloud.shared.Addresses;
import fincloud.shared.ReservedTenants;
import java.util.List;
import java.util.stream.Stream;

/** The API routes that the gateway forwards to services; the operational routes are in the verticle. */
public final class Routes {
  /** The platform operator's scope: the _system audit chain (audit routes with ?tenant=_system) and the cluster. */
  private static final String OPERATOR = ReservedTenants.OPERATOR_SCOPE;

  private Routes() {
  }

  public static final List<ApiRoute> ALL = List.of(
      write("/v1/accounts", "accounts:write", Addresses.ACCOUNTS_OPEN, "OpenAccountRequest"),
      list("/v1/accounts", "accounts:read", Addresses.ACCOUNTS_LIST),
      read("/v1/accounts/:id", "accounts:read", Addresses.ACCOUNTS_GET),
      list("/v1/accounts/:id/entries", "accounts:read", Addresses.ACCOUNTS_ENTRIES),
      write("/v1/accounts/:id/freeze", "accounts:write", Addresses.ACCOUNTS_FREEZE, null),
      write("/v1/accounts/:id/unfreeze", "admin", Addresses.ACCOUNTS_UNFREEZE, null),
      write("/v1/accounts/:id/close", "accounts:write", Addresses.ACCOUNTS_CLOSE, null),
      write("/v1/accounts/:id/erase", "admin", Addresses.ACCOUNTS_ERASE, null),
      read("/v1/ledger/trial-balance", "audit:read", Addresses.LEDGER_TRIAL_BALANCE).orScope("admin"),
      write("/v1/transfers", "transfers:write", Addresses.TRANSFERS_CREATE, "TransferRequest").requiringKey(),
      list("/v1/transfers", "transfers:read", Addresses.TRANSFERS_LIST),
      write("/v1/transfers/batch", "transfers:write", Addresses.TRANSFERS_BATCH, "BatchRequest")
          .requiringKey().withMaxBody(1024 * 1024),
      read("/v1/transfers/:id", "transfers:read", Addresses.TRANSFERS_GET),
      write("/v1/transfers/:id/post", "transfers:write", Addresses.TRANSFERS_POST, "PostTransferRequest"),
      write("/v1/transfers/:id/void", "transfers:write", Addresses.TRANSFERS_VOID, null),
      read("/v1/risk/rules", "risk:admin", Addresses.RISK_RULES_GET),
      replace("/v1/risk/rules", "risk:admin", Addresses.RISK_RULES_PUT, "RiskRulesRequest")
          .withMaxBody(1024 * 1024),
      read("/v1/audit/events", "audit:read", Addresses.AUDIT_EVENTS).orScope(OPERATOR),
      read("/v1/audit/events/:seq/proof", "audit:read", Addresses.AUDIT_PROOF).orScope(OPERATOR),
      read("/v1/audit/verify", "audit:read", Addresses.AUDIT_VERIFY).orScope(OPERATOR),
      write("/v1/audit/verify", "audit:read", Addresses.AUDIT_VERIFY, "AuditVerifyRequest").orScope(OPERATOR),
      read("/v1/audit/checkpoints", "audit:read", Addresses.AUDIT_CHECKPOINTS).orScope(OPERATOR),
      write("/v1/audit/full-verification", "audit:read", Addresses.AUDIT_FULL_VERIFICATION_START, null)
          .orScope(OPERATOR),
      read("/v1/audit/full-verification", "audit:read", Addresses.AUDIT_FULL_VERIFICATION).orScope(OPERATOR),
      read("/v1/audit/keys", "audit:read", Addresses.AUDIT_KEYS).orScope(OPERATOR),
      read("/v1/cluster", OPERATOR, Addresses.CLUSTER_NODES),
      write("/v1/tokens/revocations", "admin", Addresses.TOKENS_REVOKE, "TokenRevocationRequest"));

  /** Streamed routes: admitted like the others, then served by {@link AuditStreams} page by page. */
  static final ApiRoute AUDIT_EXPORT = read("/v1/audit/export", "audit:read", Addresses.AUDIT_RANGE).orScope(OPERATOR);
  static final ApiRoute AUDIT_STREAM = read("/v1/audit/stream", "audit:read", Addresses.AUDIT_RANGE).orScope(OPERATOR);

  /** Every route a client may call with a token: the forwarded ones and the streamed ones. */
  public static final List<ApiRoute> EVERY = Stream.concat(ALL.stream(), Stream.of(AUDIT_EXPORT, AUDIT_STREAM)).toList();
}
