package fincloud.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Payments to risk ({@code Addresses.RISK_RELEASE}, one way): give back these slots, the ledger made no transfer. */
public record VelocityRelease(String tenant, List<VelocitySlot> reservations) {

  public VelocityRelease {
    reservations = List.copyOf(reservations);
  }

  public JsonObject toJson() {
    return new JsonObject().put("tenant", tenant).put("reservations", toJson(reservations));
  }

  public static VelocityRelease fromJson(JsonObject json) {
    return new VelocityRelease(json.getString("tenant"), slots(json.getJsonArray("reservations")));
  }

  static JsonArray toJson(List<VelocitySlot> slots) {
    JsonArray list = new JsonArray();
    slots.forEach(slot -> list.add(slot.toJson()));
    return list;
  }

  static List<VelocitySlot> slots(JsonArray list) {
    return list == null ? List.of() : list.stream().map(o -> VelocitySlot.fromJson((JsonObject) o)).toList();
  }
}
