package fincloud.bus;

import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-bus consumers of one service verticle instance, and the requests they are still
 * answering. A graceful stop first unregisters the consumers, so that the other nodes stop routing
 * requests here, and only then waits for the requests already taken: a leaving node drops nothing.
 * (Vert.x itself would unregister them only after the verticle's {@code stop()} has completed.)
 * Every consumer has a node-local twin, which the node's own callers ask first (see
 * {@link ServiceCalls}); it is unregistered with the others, so they turn to the cluster.
 * Every message to the cluster address must carry a valid {@link CallerSeal} for it: one without
 * is refused before the operation runs, answered with a {@code 503} failure when it expects a reply
 * (the gateway answers 503 UNAVAILABLE: a node whose key differs from ours is misconfigured, not
 * the client), dropped otherwise. The node-local twin needs no seal: it is registered local-only,
 * and the event bus delivers a message that came over the network to no local-only consumer (its
 * sender finds no handler), so whatever reaches the twin was sent by this process, which holds the
 * cluster key anyway. Checking there cost a tenth of the node's CPU at the peak (two HMACs and two
 * JSON encodes per call). The caller a service sees is therefore one a node of this deployment
 * vouched for. Used from the verticle's event loop only.
 */
public final class ServiceConsumers {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceConsumers.class);
  /** The failure code of a refused seal (as a reply failure: the gateway maps it to 503). */
  public static final int UNPROVEN_CALLER = 503;
  private final Vertx vertx;
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private int answering;
  private Promise<Void> idle;

  public ServiceConsumers(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Registers {@code operation}, an API operation answered with an {@link Answer}, at {@code address}. */
  public Future<Void> on(String address, BiFunction<RequestContext, JsonObject, Future<Answer>> operation) {
    return register(address, message -> {
      Future<Answer> answer = Future.succeededFuture(message).compose(m ->
          operation.apply(RequestContext.fromHeaders(m.headers()), m.body()));
      BusReply.answer(message, answer);
      return answer;
    });
  }

  /**
   * Registers {@code operation}, a request between services answered with a bare body, at
   * {@code address}. A refusal fails the request with its HTTP status as the failure code (503
   * for UNAVAILABLE), anything else with 500; the caller sees a {@code ReplyException}.
   */
  public Future<Void> onRequest(String address, Function<JsonObject, Future<JsonObject>> operation) {
    return register(address, message -> {
      Future<JsonObject> answer = Future.succeededFuture(message).compose(m -> operation.apply(m.body()));
      answer.onSuccess(message::reply).onFailure(failure -> message.fail(
          failure instanceof ServiceException refusal ? refusal.code().status() : 500, failure.getMessage()));
      return answer;
    });
  }

  /** Registers {@code handler} for one-way messages (sent or published) at {@code address}. */
  public Future<Void> onMessage(String address, Function<JsonObject, Future<?>> handler) {
    return register(address, message -> Future.succeededFuture(message).compose(m -> handler.apply(m.body())));
  }

  /**
   * Registers {@code handling} at {@code address} for the cluster and at its node-local twin
   * ({@link Addresses#local}) for this node's callers, which {@link ServiceCalls} asks first.
   * Counts each message from its arrival until {@code handling} has completed, for the drain.
   */
  private Future<Void> register(String address, Function<Message<JsonObject>, Future<?>> handling) {
    Handler<Message<JsonObject>> counted = message -> {
      answering++;
      handling.apply(message).onComplete(done -> answered());
    };
    Handler<Message<JsonObject>> sealed = message -> {
      if (CallerSeal.verify(vertx, address, message.headers(), message.body())) {
        counted.handle(message);
      } else {
        refuse(address, message);
      }
    };
    MessageConsumer<JsonObject> clusterWide = vertx.eventBus().consumer(address, sealed);
    MessageConsumer<JsonObject> local = vertx.eventBus().localConsumer(Addresses.local(address), counted);
    consumers.add(clusterWide);
    consumers.add(local);
    return Future.all(clusterWide.completion(), local.completion()).mapEmpty();
  }

  private static void refuse(String address, Message<JsonObject> message) {
    LOG.warn("refused a message to {} whose caller seal is missing, expired or wrong (not from a node with the "
        + "cluster key)", address);
    if (message.replyAddress() != null) {
      message.fail(UNPROVEN_CALLER, "the caller is not proven: caller seal missing, expired or wrong");
    }
  }

  /** Unregisters every consumer, then completes once the requests already taken are answered. */
  public Future<Void> stopAndDrain() {
    return Future.join(consumers.stream().map(MessageConsumer::unregister).toList())
        .transform(unregistered -> {
          idle = Promise.promise();
          if (answering == 0) {
            idle.complete();
          }
          return idle.future();
        });
  }

  private void answered() {
    answering--;
    if (answering == 0 && idle != null) {
      idle.tryComplete();
    }
  }
}
