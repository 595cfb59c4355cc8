package fincloud.outbox;

/**
 * The actions the services record in the audit log, spelled as the log (and docs/contract.md, Audit) names them.
 * The log itself keeps the text, so that a record of an action no longer written still reads.
 */
public enum AuditAction {
  ACCOUNT_OPENED, ACCOUNT_FROZEN, ACCOUNT_UNFROZEN, ACCOUNT_CLOSED, ACCOUNT_ERASED,
  TRANSFER_POSTED, TRANSFER_PENDING, TRANSFER_VOIDED, TRANSFER_REJECTED,
  RISK_RULES_CHANGED, AUTH_FAILED, TOKEN_REVOKED
}
