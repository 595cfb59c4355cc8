package fincloud.gateway;

import fincloud.shared.RequestContext;
import io.vertx.core.json.JsonObject;

/**
 * A request that passed the gateway's checks, as the owning service gets it: who asks (in the
 * message's headers), and {@code {"path","query","body"}}.
 */
record ServiceRequest(RequestContext caller, JsonObject message) {
}
