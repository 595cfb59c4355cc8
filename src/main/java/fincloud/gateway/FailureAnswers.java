package fincloud.gateway;

import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client is told when a phase of its request fails: a refusal as decided, and a service
 * that cannot be reached as {@code 503 UNAVAILABLE} (with {@code Retry-After} while its circuit
 * breaker is open); anything else is a bug of the gateway, logged, and 503 too.
 */
final class FailureAnswers {
  private static final Logger LOG = LoggerFactory.getLogger(FailureAnswers.class);

  private final long retryAfterSeconds;

  /** @param retryAfterSeconds what a client should wait before calling a service whose breaker is open */
  FailureAnswers(long retryAfterSeconds) {
    this.retryAfterSeconds = retryAfterSeconds;
  }

  Answer answer(RoutingContext ctx, Throwable failure) {
    String requestId = HttpAnswers.requestId(ctx);
    if (failure instanceof ServiceException refusal) {
      return refusal.toAnswer(requestId);
    }
    if (failure instanceof OpenCircuitException) {
      ctx.response().putHeader("Retry-After", Long.toString(retryAfterSeconds));
      return Answer.problem(ErrorCode.UNAVAILABLE, "the service behind this route is failing; its circuit breaker is "
          + "open, retry after " + retryAfterSeconds + " s", requestId);
    }
    if (!(failure instanceof ReplyException)) {
      LOG.error("request {} failed in the gateway", requestId, failure);
    }
    return Answer.problem(ErrorCode.UNAVAILABLE, unavailable(failure), requestId);
  }

  /** Why a service could not answer, for the client. */
  static String unavailable(Throwable failure) {
    if (failure instanceof ReplyException reply) {
      return switch (reply.failureType()) {
        case TIMEOUT -> "the service did not answer in time; retry (with the same Idempotency-Key for writes)";
        case NO_HANDLERS -> "no node runs the service for this route right now";
        default -> "the service failed";
      };
    }
    return "the service is unavailable";
  }
}
