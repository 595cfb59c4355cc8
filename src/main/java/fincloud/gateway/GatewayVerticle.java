package fincloud.gateway;

import fincloud.shared.BusReply;
import fincloud.shared.DatabasePool;
import fincloud.shared.ErrorCode;
import fincloud.shared.ServiceException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP entry point: authenticates, authorizes, validates and forwards each API request to the
 * service that owns it over the event bus, and serves the token endpoint, health, metrics and the
 * OpenAPI document. Deployed once per event loop; all instances share the port.
 */
public class GatewayVerticle extends VerticleBase {
  /** Local map of node-wide flags; {@code draining} is set when the node is shutting down. */
  public static final String NODE_STATE = "fincloud.node";

  private Pool pool;
  private HttpServer server;
  private ApiHandler api;

  @Override
  public Future<?> start() {
    pool = DatabasePool.create(vertx, config());
    return vertx.executeBlocking(RequestSchemas::loadOpenApi)
        .compose(openApi -> GatewayKeys.load(pool, config()).map(keys -> {
          api = new ApiHandler(vertx, config(), new RequestSchemas(openApi), keys.verifier(config()));
          return new TokenEndpoint(vertx, new ClientRegistry(config().getJsonArray("clients")),
              keys.issuer(config()), api.authFailures());
        }))
        .compose(tokens -> vertx.createHttpServer(new HttpServerOptions()
                .setHost(config().getString("FINCLOUD_HTTP_HOST", "127.0.0.1"))
                .setPort(config().getInteger("FINCLOUD_HTTP_PORT", 8080))
                .setMaxInitialLineLength(8192).setMaxHeaderSize(16384)
                .setCompressionSupported(false)
                // HTTP/1.1 only: Vert.x's h2c upgrade answers a half-formed "Upgrade: h2c" with a bare 400.
                .setHttp2ClearTextEnabled(false))
            .invalidRequestHandler(new MalformedRequests())
            .requestHandler(router(tokens))
            .listen())
        .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(5, TimeUnit.SECONDS);
  }

  private Router router(TokenEndpoint tokens) {
    Router router = Router.router(vertx);
    router.route().handler(new RequestIds());
    router.post("/oauth/token").handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
        .handler(tokens::handle);
    for (ApiRoute route : Routes.ALL) {
      Route forwarded = router.route(route.method(), route.path());
      if (route.method() != HttpMethod.GET) {
        // A GET has no body to read; BodyHandler would even throw on a GET that claims a form body.
        forwarded.handler(BodyHandler.create(false).setBodyLimit(route.maxBodyBytes()));
      }
      forwarded.handler(ctx -> api.handle(ctx, route));
    }
    router.get("/health/live").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("status", "UP").encode()));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness()));
    router.get("/metrics").handler(PrometheusScrapingHandler.create());
    router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("Content-Type", "application/yaml")
        .sendFile("openapi.yaml"));
    router.errorHandler(404, ctx -> HttpAnswers.problem(ctx, ErrorCode.NOT_FOUND, "no such route"));
    router.errorHandler(405, ctx -> HttpAnswers.problem(ctx, ErrorCode.METHOD_NOT_ALLOWED,
        ctx.request().method() + " is not allowed on " + ctx.request().path()));
    router.errorHandler(413, ctx -> HttpAnswers.problem(ctx, ErrorCode.PAYLOAD_TOO_LARGE,
        "the body is larger than this route accepts"));
    router.errorHandler(400, ctx -> HttpAnswers.problem(ctx, ErrorCode.VALIDATION_FAILED, "malformed request"));
    router.errorHandler(417, ctx -> HttpAnswers.problem(ctx, ErrorCode.VALIDATION_FAILED,
        "the only expectation supported is 'Expect: 100-continue'"));
    router.errorHandler(500, this::unexpected);
    return router;
  }

  private void unexpected(RoutingContext ctx) {
    if (ctx.failure() instanceof ServiceException refusal) {
      HttpAnswers.send(ctx, refusal.toAnswer(HttpAnswers.requestId(ctx)));
      return;
    }
    HttpAnswers.send(ctx, BusReply.toAnswer(ctx.failure(), new fincloud.shared.RequestContext(
        HttpAnswers.requestId(ctx), null, null, java.util.Set.of(), null, null, null), "gateway"));
  }

  private HealthChecks readiness() {
    HealthChecks checks = HealthChecks.create(vertx);
    checks.register("node", promise -> promise.complete(
        Boolean.TRUE.equals(vertx.sharedData().getLocalMap(NODE_STATE).get("draining")) ? Status.KO() : Status.OK()));
    checks.register("database", 2000, promise -> pool.query("SELECT 1").execute()
        .onSuccess(rows -> promise.tryComplete(Status.OK()))
        .onFailure(failure -> promise.tryComplete(Status.KO(new JsonObject().put("error", failure.getMessage())))));
    return checks;
  }
}
