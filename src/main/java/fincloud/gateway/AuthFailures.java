package fincloud.gateway;

import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed authentications. For now they are logged (without secrets or tokens); the audit issue
 * turns them into rate-limited AUTH_FAILED audit records.
 */
final class AuthFailures {
  private static final Logger LOG = LoggerFactory.getLogger(AuthFailures.class);

  void record(RoutingContext ctx, String clientId, String reason) {
    LOG.info("authentication failed: client={} from={} request={} reason={}", clientId,
        ctx.request().remoteAddress(), ctx.<String>get(RequestIds.KEY), reason);
  }
}
