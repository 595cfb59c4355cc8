package fincloud.shared;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.Set;

/**
 * Who asks, from where, under which request id and Idempotency-Key. The gateway fills it from the
 * verified token and the HTTP request; it travels in event-bus headers so that every service can
 * log, audit and decide with it (MDC does not follow the event loop).
 *
 * @param requestHash hash of the route and the canonical request body, null without a key
 * @param receivedAtMs when the gateway received the request (epoch milliseconds, the gateway's
 *     clock), so that the ledger can tell an attempt that was overtaken by a later decision on its
 *     key; 0 for the system's own work
 */
public record RequestContext(String requestId, String tenant, String clientId, Set<String> scopes,
    String origin, String idempotencyKey, String requestHash, long receivedAtMs) {

  private static final String REQUEST_ID = "requestId";
  private static final String TENANT = "tenant";
  private static final String CLIENT = "client";
  private static final String SCOPES = "scopes";
  private static final String ORIGIN = "origin";
  private static final String IDEMPOTENCY_KEY = "idempotencyKey";
  private static final String REQUEST_HASH = "requestHash";
  private static final String RECEIVED_AT = "receivedAt";

  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }

  public DeliveryOptions toDeliveryOptions() {
    DeliveryOptions options = new DeliveryOptions()
        .addHeader(REQUEST_ID, requestId)
        .addHeader(TENANT, tenant)
        .addHeader(CLIENT, clientId)
        .addHeader(SCOPES, String.join(" ", scopes))
        .addHeader(ORIGIN, origin == null ? "" : origin)
        .addHeader(RECEIVED_AT, Long.toString(receivedAtMs));
    if (idempotencyKey != null) {
      options.addHeader(IDEMPOTENCY_KEY, idempotencyKey).addHeader(REQUEST_HASH, requestHash);
    }
    return options;
  }

  public static RequestContext fromHeaders(MultiMap headers) {
    String scopes = headers.get(SCOPES);
    return new RequestContext(headers.get(REQUEST_ID), headers.get(TENANT), headers.get(CLIENT),
        scopes == null || scopes.isBlank() ? Set.of() : Set.of(scopes.split(" ")),
        headers.get(ORIGIN), headers.get(IDEMPOTENCY_KEY), headers.get(REQUEST_HASH), receivedAt(headers));
  }

  private static long receivedAt(MultiMap headers) {
    try {
      return Long.parseLong(headers.get(RECEIVED_AT));
    } catch (NumberFormatException | NullPointerException missing) {
      return 0L;
    }
  }
}
