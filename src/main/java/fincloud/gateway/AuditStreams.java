package fincloud.gateway;

import fincloud.bus.BusReply;
import fincloud.bus.CallerSeal;
import fincloud.shared.Addresses;
import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit routes that answer with a stream, which one event-bus request/reply cannot carry:
 * {@code GET /v1/audit/export} (NDJSON) and {@code GET /v1/audit/stream} (Server-Sent Events).
 * They are admitted like every route (token, scope), then the gateway pages through the chain,
 * asking the audit service for one slice after another ({@link Addresses#AUDIT_RANGE}), which also
 * decides which chain the caller may read. The next slice is asked for only once the client has
 * taken the previous one, so a slow client holds back nothing but itself.
 *
 * <p>The live stream is woken by the sealer's notification for the tenant and then reads from its
 * last seq, so that a lost, late or repeated notification costs a read at most, never a record;
 * a keep-alive read every {@value #KEEP_ALIVE_MS} ms catches up even if every notification were
 * lost. (Rejected: carrying the records themselves in event-bus messages to the gateway — one
 * message per record and subscriber, no back-pressure, and gaps when a node dies; and serving
 * HTTP from the audit service — the gateway owns HTTP, tokens and errors.)
 */
final class AuditStreams {
  private static final Logger LOG = LoggerFactory.getLogger(AuditStreams.class);
  private static final int PAGE = 500;
  static final long KEEP_ALIVE_MS = 15_000;

  private final Vertx vertx;
  private final RequestParser parser;
  private final FailureAnswers failures;
  private final long timeoutMs;
  private final AuditStreamSlots slots;

  /** @param timeoutMs how long one slice of the chain may take */
  AuditStreams(Vertx vertx, RequestParser parser, FailureAnswers failures, long timeoutMs, AuditStreamSlots slots) {
    this.vertx = vertx;
    this.parser = parser;
    this.failures = failures;
    this.timeoutMs = timeoutMs;
    this.slots = slots;
  }

  /** {@code GET /v1/audit/export?from=&to=&since=&until=&tenant=}: the records, one JSON per line. */
  void export(RoutingContext ctx) {
    parser.parse(ctx, Routes.AUDIT_EXPORT)
        .onFailure(refused -> HttpAnswers.send(ctx, failures.answer(ctx, refused)))
        .onSuccess(admitted -> export(ctx, admitted));
  }

  private void export(RoutingContext ctx, ServiceRequest admitted) {
    JsonObject query = params(ctx, "from", "to", "since", "until", "tenant").put("limit", PAGE);
    first(ctx, admitted, query).onSuccess(page -> {
      ctx.response().setStatusCode(200).setChunked(true).putHeader("Content-Type", "application/x-ndjson");
      exportPage(ctx.response(), admitted, query, page);
    });
  }

  /**
   * {@code GET /v1/audit/stream}: records as they are sealed, after {@code Last-Event-ID} or
   * {@code ?after=}, until the token expires (the client reconnects with a new one and its last id).
   */
  void follow(RoutingContext ctx) {
    TokenVerifier.Identity identity = HeaderAdmission.identity(ctx);
    try {
      slots.take(identity.clientId());
    } catch (ServiceException refusal) {
      HttpAnswers.send(ctx, refusal.toAnswer(HttpAnswers.requestId(ctx)));
      return;
    }
    AtomicBoolean released = new AtomicBoolean();
    ctx.addEndHandler(ended -> {
      if (released.compareAndSet(false, true)) {
        slots.release(identity.clientId());
      }
    });
    parser.parse(ctx, Routes.AUDIT_STREAM)
        .onFailure(refused -> HttpAnswers.send(ctx, failures.answer(ctx, refused)))
        .onSuccess(admitted -> follow(ctx, admitted));
  }

  private void follow(RoutingContext ctx, ServiceRequest admitted) {
    Long after;
    try {
      after = position(ctx);
    } catch (ServiceException refusal) {
      HttpAnswers.send(ctx, refusal.toAnswer(HttpAnswers.requestId(ctx)));
      return;
    }
    JsonObject query = params(ctx, "tenant").put("limit", after == null ? 0 : PAGE);
    if (after != null) {
      query.put("from", after + 1);
    }
    first(ctx, admitted, query).onSuccess(page -> {
      ctx.response().setStatusCode(200).setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no")
          .write(": audit chain " + page.getString("tenant") + "\n\n");
      new Follower(ctx, admitted, page.getString("tenant"), after == null ? page.getLong("head") : after)
          .start(page, HeaderAdmission.identity(ctx).expiresAtMillis());
    });
  }

  /** The first slice, which also settles whether the caller may read the chain; null when refused. */
  private Future<JsonObject> first(RoutingContext ctx, ServiceRequest admitted, JsonObject query) {
    return slice(admitted, query).transform(asked -> {
      if (asked.failed()) {
        HttpAnswers.problem(ctx, ErrorCode.UNAVAILABLE, FailureAnswers.unavailable(asked.cause()));
        return Future.failedFuture(asked.cause());
      }
      if (asked.result().isProblem()) {
        HttpAnswers.send(ctx, asked.result());
        return Future.failedFuture("refused");
      }
      return Future.succeededFuture(asked.result().body());
    });
  }

  private void exportPage(HttpServerResponse response, ServiceRequest admitted, JsonObject query,
      JsonObject page) {
    Buffer lines = Buffer.buffer();
    page.getJsonArray("items").forEach(item -> lines.appendString(((JsonObject) item).encode()).appendString("\n"));
    Long next = page.getLong("next");
    if (next == null) {
      response.end(lines);
      return;
    }
    response.write(lines);
    query.put("from", next).put("to", page.getLong("to"));
    whenWritable(response, () -> slice(admitted, query).onComplete(more -> {
      if (more.failed() || more.result().isProblem()) {
        // the status is sent: cutting the connection is how the client learns the export is incomplete
        LOG.warn("audit export cut short at seq {}: {}", next, more.failed() ? more.cause() : more.result().body());
        response.reset();
      } else if (!response.closed()) {
        exportPage(response, admitted, query, more.result().body());
      }
    }));
  }

  private Future<Answer> slice(ServiceRequest admitted, JsonObject query) {
    JsonObject message = admitted.message().copy().put("query", query.copy());
    return vertx.eventBus().<JsonObject>request(Addresses.AUDIT_RANGE, message, CallerSeal.seal(vertx,
            Addresses.AUDIT_RANGE, message, admitted.caller().toDeliveryOptions().setSendTimeout(timeoutMs), timeoutMs))
        .map(BusReply::read);
  }

  private static void whenWritable(HttpServerResponse response, Runnable then) {
    if (response.writeQueueFull()) {
      response.drainHandler(drained -> then.run());
    } else {
      then.run();
    }
  }

  private static JsonObject params(RoutingContext ctx, String... names) {
    JsonObject query = new JsonObject();
    for (String name : names) {
      String value = ctx.request().getParam(name);
      if (value != null) {
        query.put(name, value);
      }
    }
    return query;
  }

  /** Last-Event-ID, else {@code ?after=}, else null (only records sealed from now on). */
  private static Long position(RoutingContext ctx) {
    String header = ctx.request().getHeader("Last-Event-ID");
    String field = header != null ? "Last-Event-ID" : "after";
    String value = header != null ? header.trim() : ctx.request().getParam("after");
    if (value == null) {
      return null;
    }
    if (!value.matches("[0-9]{1,16}") || Long.parseLong(value) > 9007199254740991L) {
      throw new ServiceException(ErrorCode.VALIDATION_FAILED, field + " must be a seq (an integer from 0)",
          new JsonObject().put("field", field));
    }
    return Long.parseLong(value);
  }

  /** One open event stream: sends every record after {@code lastSent} once, in seq order. */
  private final class Follower {
    private final RoutingContext ctx;
    private final HttpServerResponse response;
    private final ServiceRequest admitted;
    private final String tenant;
    private long lastSent;
    private boolean reading;
    private boolean again;
    private boolean closed;
    private MessageConsumer<JsonObject> sealed;
    private long keepAlive = -1;
    private long tokenExpiry = -1;

    Follower(RoutingContext ctx, ServiceRequest admitted, String tenant, long lastSent) {
      this.ctx = ctx;
      this.response = ctx.response();
      this.admitted = admitted;
      this.tenant = tenant;
      this.lastSent = lastSent;
    }

    /** @param expiresAtMillis the token's exp: the stream ends then, as a request with it would be refused */
    void start(JsonObject firstPage, long expiresAtMillis) {
      response.closeHandler(gone -> close());
      tokenExpiry = vertx.setTimer(Math.max(1, expiresAtMillis - System.currentTimeMillis()), expired -> {
        close();
        if (!response.ended() && !response.closed()) {
          response.end();
        }
      });
      response.exceptionHandler(failed -> close());
      if (ctx.request().connection() != null) {
        // the server is shutting down: end the stream so that the shutdown need not wait for it
        ctx.request().connection().shutdownHandler(down -> {
          close();
          response.end();
        });
      }
      send(firstPage);
      sealed = vertx.eventBus().consumer(Addresses.AUDIT_SEALED + "." + tenant, note -> {
        if (note.body().getLong("headSeq", Long.MAX_VALUE) > lastSent) {
          read();
        }
      });
      keepAlive = vertx.setPeriodic(KEEP_ALIVE_MS, tick -> {
        if (!closed && !response.writeQueueFull()) {
          response.write(": keep-alive\n\n");
        }
        read();
      });
      // what was sealed before the subscription took effect is read once it has
      sealed.completion().onComplete(registered -> read());
    }

    private void read() {
      if (closed) {
        return;
      }
      if (reading) {
        again = true;
        return;
      }
      if (response.writeQueueFull()) {
        response.drainHandler(drained -> read());
        return;
      }
      reading = true;
      again = false;
      slice(admitted, new JsonObject().put("from", lastSent + 1).put("limit", PAGE)
          .put("tenant", tenant)).onComplete(page -> {
            reading = false;
            if (closed) {
              return;
            }
            if (page.failed() || page.result().isProblem()) {
              LOG.warn("audit stream of {} could not read after seq {}: {}", tenant, lastSent,
                  page.failed() ? page.cause().toString() : page.result().body());
              return;
            }
            send(page.result().body());
            if (page.result().body().getValue("next") != null || again) {
              read();
            }
          });
    }

    private void send(JsonObject page) {
      if (closed) {
        return;
      }
      StringBuilder events = new StringBuilder();
      page.getJsonArray("items").forEach(item -> {
        JsonObject record = (JsonObject) item;
        long seq = record.getLong("seq");
        if (seq > lastSent) {
          events.append("id: ").append(seq).append("\nevent: audit\ndata: ").append(record.encode()).append("\n\n");
          lastSent = seq;
        }
      });
      if (!events.isEmpty()) {
        response.write(events.toString());
      }
    }

    private void close() {
      if (closed) {
        return;
      }
      closed = true;
      vertx.cancelTimer(keepAlive);
      vertx.cancelTimer(tokenExpiry);
      if (sealed != null) {
        sealed.unregister();
      }
    }
  }
}
