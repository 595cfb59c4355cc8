package fincloud.shared;

/**
 * The stable, machine-readable error codes of docs/contract.md, Error codes. A service refusal carries one of these
 * across the event bus; the gateway turns it into the HTTP status and problem+json body as is.
 */
public enum ErrorCode {
  VALIDATION_FAILED(400, "The request is not valid"),
  UNAUTHENTICATED(401, "Authentication is required"),
  FORBIDDEN(403, "The token lacks the scope for this operation"),
  NOT_FOUND(404, "Not found"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  INVALID_STATE(409, "The resource is not in a state that allows this"),
  IDEMPOTENCY_IN_FLIGHT(409, "A request with this Idempotency-Key is still being processed"),
  PAYLOAD_TOO_LARGE(413, "The request body is too large"),
  UNSUPPORTED_MEDIA_TYPE(415, "The request body must be application/json"),
  INSUFFICIENT_FUNDS(422, "Insufficient funds"),
  CURRENCY_MISMATCH(422, "Currency mismatch"),
  ACCOUNT_NOT_ACTIVE(422, "The account is not active"),
  SAME_ACCOUNT(422, "Debit and credit account are the same"),
  BALANCE_NOT_ZERO(422, "The account balance is not zero"),
  RISK_DECLINED(422, "Declined by risk rules"),
  IDEMPOTENCY_KEY_REUSED(422, "The Idempotency-Key was used for another request"),
  RATE_LIMITED(429, "Too many requests"),
  UNAVAILABLE(503, "The service is unavailable, retry later");

  private final int status;
  private final String title;

  ErrorCode(int status, String title) {
    this.status = status;
    this.title = title;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  /**
   * Whether an answer with this code is kept with its Idempotency-Key and replayed (docs/contract.md, Idempotency:
   * the refusals of the operation itself are; transient and request-shape refusals are not).
   */
  public boolean storedForIdempotency() {
    return switch (this) {
      case NOT_FOUND, INVALID_STATE, INSUFFICIENT_FUNDS, CURRENCY_MISMATCH, ACCOUNT_NOT_ACTIVE,
          SAME_ACCOUNT, BALANCE_NOT_ZERO, RISK_DECLINED -> true;
      default -> false;
    };
  }
}
