package fincloud.shared;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the time of one request goes inside a service (risk, ledger, database, ...): the stages
 * record their durations under the request id, and {@link BusReply#answer} sends them back to the
 * gateway in the reply's {@value #HEADER} header, as Server-Timing entries
 * ({@code name;dur=milliseconds}), which the gateway passes on to the client. Keyed by request id
 * because the stages of one request run in different classes and Future chains of a service; a
 * service that calls another records its own stages only after that call has returned, since the
 * callee's reply takes what is recorded under the id at that moment.
 */
public final class StageTimes {
  /** Event-bus reply header carrying the service's stages. */
  public static final String HEADER = "timing";
  /** Requests whose reply never went out leave their entries behind; past this many, start afresh. */
  private static final int MAX_OPEN = 50_000;
  private static final Map<String, String> OPEN = new ConcurrentHashMap<>();

  private StageTimes() {
  }

  /** Adds a stage of the caller's request; nothing for the system's own work (no caller). */
  public static void record(RequestContext caller, String stage, long nanos) {
    if (caller == null || caller.requestId() == null) {
      return;
    }
    if (OPEN.size() >= MAX_OPEN) {
      OPEN.clear();
    }
    OPEN.merge(caller.requestId(), entry(stage, nanos), (earlier, later) -> earlier + ", " + later);
  }

  /** The service's own time followed by the stages recorded for the request, which are forgotten. */
  public static String take(String requestId, String service, long nanos) {
    String stages = requestId == null ? null : OPEN.remove(requestId);
    return stages == null ? entry(service, nanos) : entry(service, nanos) + ", " + stages;
  }

  /** One Server-Timing entry, {@code name;dur=1.234} (milliseconds). */
  public static String entry(String name, long nanos) {
    return appendEntry(new StringBuilder(name.length() + 16), name, nanos).toString();
  }

  /**
   * {@link #entry} onto {@code out}: milliseconds with three decimals, rounded half up, written
   * without a formatter (two to four of these per request).
   */
  public static StringBuilder appendEntry(StringBuilder out, String name, long nanos) {
    long micros = Math.round(Math.abs(nanos) / 1e3);
    long fraction = micros % 1000;
    out.append(name).append(";dur=").append(nanos < 0 && micros > 0 ? "-" : "").append(micros / 1000).append('.');
    if (fraction < 100) {
      out.append(fraction < 10 ? "00" : "0");
    }
    return out.append(fraction);
  }
}
