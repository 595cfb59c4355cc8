package fincloud.bus;

import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import fincloud.shared.StageTimes;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import net.logstash.logback.argument.StructuredArguments;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way services answer an event-bus request: the Answer's body, with its HTTP status, its
 * error code (one to one with docs/contract.md, Error codes) and the replay flag in headers. A failure that is not a
 * decided refusal (the database is down, a bug) becomes 503 UNAVAILABLE and is logged, never a
 * stack trace on the wire.
 */
public final class BusReply {
  public static final String STATUS = "status";
  public static final String CODE = "code";
  public static final String REPLAYED = "replayed";
  private static final Logger LOG = LoggerFactory.getLogger(BusReply.class);

  private BusReply() {
  }

  public static void answer(Message<JsonObject> message, Future<Answer> answer) {
    long started = System.nanoTime();
    RequestContext caller = RequestContext.fromHeaders(message.headers());
    answer.recover(failure -> Future.succeededFuture(toAnswer(failure, caller, message.address())))
        .onSuccess(a -> message.reply(a.body(), options(a).addHeader(StageTimes.HEADER,
            StageTimes.take(caller.requestId(), service(message.address()), System.nanoTime() - started))));
  }

  /** {@code fincloud.<service>.<operation>} (or its node-local twin, {@code local.} before it) -> service. */
  public static String service(String address) {
    String[] parts = Addresses.clusterWide(address).split("\\.");
    return parts.length > 2 ? parts[1] : address;
  }

  public static Answer toAnswer(Throwable failure, RequestContext caller, String address) {
    if (failure instanceof ServiceException refusal) {
      return refusal.toAnswer(caller.requestId());
    }
    LOG.error("{} failed for request {}", address, StructuredArguments.keyValue("requestId", caller.requestId()),
        failure);
    return Answer.problem(ErrorCode.UNAVAILABLE, "the service could not complete the request; retry later",
        caller.requestId());
  }

  private static DeliveryOptions options(Answer a) {
    DeliveryOptions options = new DeliveryOptions().addHeader(STATUS, Integer.toString(a.status()));
    if (a.isProblem()) {
      options.addHeader(CODE, a.code().name());
    }
    if (a.replayed()) {
      options.addHeader(REPLAYED, "true");
    }
    return options;
  }

  /** The Answer carried by a reply message (the gateway's side of {@link #answer}). */
  public static Answer read(Message<JsonObject> reply) {
    String status = reply.headers().get(STATUS);
    return new Answer(status == null ? 200 : Integer.parseInt(status), reply.body(),
        "true".equals(reply.headers().get(REPLAYED)));
  }
}
