package fincloud.outbox;

import fincloud.shared.RequestContext;
import io.vertx.core.json.JsonObject;

/**
 * One fact for the audit log, written to the outbox in the transaction of the change it records:
 * who (actor, tenant), what (action), which resource, whether it succeeded, from where, and the data
 * of the change (PCI DSS 10.2.2).
 */
public record AuditEvent(String tenant, String actor, String action, String entityType,
    String entityId, boolean success, String origin, String requestId, JsonObject data) {

  public static AuditEvent of(RequestContext caller, AuditAction action, String entityType,
      String entityId, boolean success, JsonObject data) {
    return of(caller, action.name(), entityType, entityId, success, data);
  }

  /** An action named by its text; prefer {@link AuditAction} (risk still names its own). */
  public static AuditEvent of(RequestContext caller, String action, String entityType,
      String entityId, boolean success, JsonObject data) {
    return new AuditEvent(caller.tenant(), caller.clientId(), action, entityType, entityId, success,
        caller.origin(), caller.requestId(), data);
  }

  JsonObject toRow() {
    return new JsonObject()
        .put("tenant", tenant).put("actor", actor).put("action", action)
        .put("entity_type", entityType).put("entity_id", entityId).put("success", success)
        .put("origin", origin).put("request_id", requestId)
        .put("data", data == null ? new JsonObject() : data);
  }
}
