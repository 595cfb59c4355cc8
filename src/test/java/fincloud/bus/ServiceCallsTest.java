package fincloud.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import fincloud.shared.Addresses;
import fincloud.shared.ErrorCode;
import fincloud.shared.NodeMetrics;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Retries and the breaker of service calls, against services that lose messages the way a dead
 * cluster node does (no answer at all). A fresh Vert.x per test; blocking calls from the test
 * thread only.
 */
@ExtendWith(VertxExtension.class)
class ServiceCallsTest {
  private static final String ADDRESS = "test.bus-requests";
  private MessageConsumer<JsonObject> service;

  private ServiceCalls requests(Vertx vertx, long attemptMs, long deadlineMs) {
    return new ServiceCalls(vertx, "test", new CallPolicy(deadlineMs, attemptMs, 5, 2000, 10_000),
        NodeMetrics.GATEWAY_CALLS);
  }

  /** A service that drops the first {@code lost} messages it gets and answers the rest. */
  private AtomicInteger serviceLosing(Vertx vertx, int lost) {
    AtomicInteger received = new AtomicInteger();
    service = vertx.eventBus().consumer(ADDRESS, message -> {
      if (received.incrementAndGet() > lost) {
        message.reply(new JsonObject().put("attempt", received.get()));
      }
    });
    service.completion().await();
    return received;
  }

  @Test
  void aRequestThatMayBeRepeatedIsSentAgainAfterALostAttempt(Vertx vertx) {
    AtomicInteger received = serviceLosing(vertx, 1);
    Message<JsonObject> reply = requests(vertx, 200, 5_000)
        .request(ADDRESS, new JsonObject(), new DeliveryOptions(), true).await();
    assertThat(reply.body().getInteger("attempt")).isEqualTo(2);
    assertThat(received).hasValue(2);
  }

  @Test
  void aRequestThatMayNotBeRepeatedIsSentOnceAndTimesOutAtTheDeadline(Vertx vertx) {
    AtomicInteger received = serviceLosing(vertx, 1);
    long started = System.nanoTime();
    assertThatThrownBy(() -> requests(vertx, 200, 1_000)
        .request(ADDRESS, new JsonObject(), new DeliveryOptions(), false).await())
        .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.TIMEOUT));
    assertThat(received).hasValue(1);
    assertThat((System.nanoTime() - started) / 1_000_000).as("waited for the whole deadline").isGreaterThanOrEqualTo(900);
  }

  @Test
  void retriesStopAtTheDeadline(Vertx vertx) {
    AtomicInteger received = serviceLosing(vertx, Integer.MAX_VALUE);
    assertThatThrownBy(() -> requests(vertx, 200, 1_000)
        .request(ADDRESS, new JsonObject(), new DeliveryOptions(), true).await())
        .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.TIMEOUT));
    assertThat(received.get()).isBetween(2, 6);
  }

  @Test
  void aRetryThatFindsItsFirstAttemptStillRunningWaitsForItsOutcome(Vertx vertx) {
    // The first attempt is slow (it answers after the attempt timeout); the retry meets it in flight.
    AtomicInteger received = new AtomicInteger();
    service = vertx.eventBus().consumer(ADDRESS, message -> {
      int attempt = received.incrementAndGet();
      if (attempt == 2) {
        message.reply(new JsonObject().put("code", "IDEMPOTENCY_IN_FLIGHT"),
            new DeliveryOptions().addHeader(BusReply.STATUS, "409").addHeader(BusReply.CODE,
                ErrorCode.IDEMPOTENCY_IN_FLIGHT.name()));
      } else if (attempt > 2) {
        message.reply(new JsonObject().put("id", "trf_1").put("replayed", true));
      }
    });
    service.completion().await();
    Message<JsonObject> reply = requests(vertx, 200, 5_000)
        .request(ADDRESS, new JsonObject(), new DeliveryOptions(), true).await();
    assertThat(reply.body().getString("id")).isEqualTo("trf_1");
    assertThat(received.get()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void noHandlersIsRetriedAFewTimesThenReported(Vertx vertx) {
    assertThatThrownBy(() -> requests(vertx, 200, 5_000)
        .request("test.nobody-here", new JsonObject(), new DeliveryOptions(), false).await())
        .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.NO_HANDLERS));
  }

  @Test
  void aServiceThatAppearsWhileRetryingNoHandlersIsReached(Vertx vertx) {
    vertx.setTimer(60, id -> vertx.eventBus().<JsonObject>consumer("test.late",
        message -> message.reply(new JsonObject().put("ok", true))));
    Message<JsonObject> reply = requests(vertx, 200, 5_000)
        .request("test.late", new JsonObject(), new DeliveryOptions(), false).await();
    assertThat(reply.body().getBoolean("ok")).isTrue();
  }

  @Test
  void timedOutAttemptsAreSentAgainUntilTheDeadline(Vertx vertx) {
    AtomicInteger received = serviceLosing(vertx, Integer.MAX_VALUE);
    long started = System.nanoTime();
    assertThatThrownBy(() -> requests(vertx, 200, 1_500)
        .request(ADDRESS, new JsonObject(), new DeliveryOptions(), true).await())
        .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.TIMEOUT));
    assertThat(received.get()).as("one attempt per 200 ms, the last with the rest").isBetween(6, 8);
    assertThat((System.nanoTime() - started) / 1_000_000).as("waited for the whole deadline").isGreaterThanOrEqualTo(1_400);
  }

  @Test
  void aCallWhoseTargetsDiedReachesALiveInstanceWithinTheDeadline(Vertx vertx) {
    // Two instances that lose every message (dead nodes the cluster has not noticed yet), then a live one;
    // the bus hands the attempts to them in turn.
    AtomicInteger dead = new AtomicInteger();
    for (int i = 0; i < 2; i++) {
      vertx.eventBus().<JsonObject>consumer(ADDRESS, message -> dead.incrementAndGet()).completion().await();
    }
    vertx.eventBus().<JsonObject>consumer(ADDRESS, message -> message.reply(new JsonObject().put("live", true)))
        .completion().await();
    Message<JsonObject> reply = requests(vertx, 200, 2_000)
        .request(ADDRESS, new JsonObject(), new DeliveryOptions(), true).await();
    assertThat(reply.body().getBoolean("live")).isTrue();
    assertThat(dead).hasValue(2);
  }

  @Test
  void aNodeThatRunsTheServiceCallsItsOwnInstance(Vertx vertx) {
    AtomicInteger clusterWide = serviceLosing(vertx, 0);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.local(ADDRESS),
        message -> message.reply(new JsonObject().put("local", true))).completion().await();
    ServiceCalls calls = requests(vertx, 200, 2_000);
    for (boolean retriable : new boolean[] {true, false}) {
      Message<JsonObject> reply = calls.request(ADDRESS, new JsonObject(), new DeliveryOptions(), retriable).await();
      assertThat(reply.body().getBoolean("local")).isTrue();
    }
    assertThat(clusterWide).hasValue(0);
  }

  @Test
  void anOwnInstanceThatGivesNoAnswerInTimeIsReplacedByAnotherOne(Vertx vertx) {
    AtomicInteger clusterWide = serviceLosing(vertx, 0);
    AtomicInteger local = new AtomicInteger();
    vertx.eventBus().<JsonObject>localConsumer(Addresses.local(ADDRESS), message -> local.incrementAndGet())
        .completion().await();
    Message<JsonObject> reply = requests(vertx, 200, 2_000)
        .request(ADDRESS, new JsonObject(), new DeliveryOptions(), true).await();
    assertThat(reply.body().getInteger("attempt")).isEqualTo(1);
    assertThat(local).hasValue(1);
    assertThat(clusterWide).hasValue(1);
  }

  @Test
  void aServiceAnswering503OpensItsBreakerAndGetsNoMoreCalls(Vertx vertx) {
    AtomicInteger received = new AtomicInteger();
    service = vertx.eventBus().consumer(ADDRESS, message -> {
      received.incrementAndGet();
      message.reply(new JsonObject().put("code", "UNAVAILABLE"), new DeliveryOptions().addHeader(BusReply.STATUS, "503"));
    });
    service.completion().await();
    ServiceCalls calls = new ServiceCalls(vertx, "test", new CallPolicy(1_000, 500, 2, 60_000, 10_000),
        NodeMetrics.GATEWAY_CALLS);
    for (int i = 0; i < 2; i++) {
      Message<JsonObject> unwell = calls.request(ADDRESS, new JsonObject(), new DeliveryOptions(), true).await();
      assertThat(unwell.headers().get(BusReply.STATUS)).as("handed on as it is").isEqualTo("503");
    }
    assertThat(calls.states().getString(BusReply.service(ADDRESS))).isEqualTo("OPEN");
    assertThatThrownBy(() -> calls.request(ADDRESS, new JsonObject(), new DeliveryOptions(), true).await())
        .isInstanceOf(OpenCircuitException.class);
    assertThat(received).hasValue(2);
  }

  @Test
  void aReplyAfterTheDeadlineGoesToTheLateReplyHandler(Vertx vertx) {
    // The first attempt is lost; the others are answered after they timed out, the last one after
    // the call has given up.
    AtomicInteger received = new AtomicInteger();
    service = vertx.eventBus().consumer(ADDRESS, message -> {
      if (received.incrementAndGet() >= 2) {
        vertx.setTimer(400, late -> message.reply(new JsonObject().put("late", true)));
      }
    });
    service.completion().await();
    Promise<JsonObject> late = Promise.promise();
    assertThatThrownBy(() -> requests(vertx, 100, 300)
        .request(ADDRESS, new JsonObject(), new DeliveryOptions(), true, reply -> late.complete(reply.body())).await())
        .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.TIMEOUT));
    assertThat(late.future().await().getBoolean("late")).isTrue();
  }
}
