package fincloud.bus;

import fincloud.shared.Answer;
import fincloud.shared.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The event-bus consumers of one service verticle instance, and the requests they are still
 * answering. A graceful stop first unregisters the consumers, so that the other nodes stop routing
 * requests here, and only then waits for the requests already taken: a leaving node drops nothing.
 * (Vert.x itself would unregister them only after the verticle's {@code stop()} has completed.)
 * Used from the verticle's event loop only.
 */
public final class ServiceConsumers {
  private final Vertx vertx;
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private int answering;
  private Promise<Void> idle;

  public ServiceConsumers(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Registers {@code operation} at {@code address}; completes when the registration has. */
  public Future<Void> on(String address, BiFunction<RequestContext, JsonObject, Future<Answer>> operation) {
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(address, message -> {
      answering++;
      Future<Answer> answer = Future.succeededFuture(message).compose(m ->
          operation.apply(RequestContext.fromHeaders(m.headers()), m.body()));
      BusReply.answer(message, answer);
      answer.onComplete(done -> answered());
    });
    consumers.add(consumer);
    return consumer.completion();
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
