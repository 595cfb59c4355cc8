package fincloud.gateway;

import fincloud.bus.BusReply;
import fincloud.bus.ServiceConsumers;
import fincloud.shared.Addresses;
import fincloud.shared.DatabasePool;
import fincloud.shared.ErrorCode;
import fincloud.shared.NodeIdentity;
import fincloud.shared.PoolSettings;
import fincloud.shared.Readiness;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP entry point: authenticates, authorizes, limits, validates and forwards each API request
 * to the service that owns it over the event bus, and serves the token endpoint, status-only health
 * and the OpenAPI document (metrics and detailed health are on the management listener). Deployed once per event loop; all instances share the port and the
 * node's guards (breakers, in-flight bound, rate limits).
 */
public class GatewayVerticle extends VerticleBase {
  private final NodeIdentity node;
  private final GatewaySettings settings;
  private final PoolSettings database;
  private Pool pool;
  private HttpServer server;
  private HeaderAdmission admission;
  private ApiHandler api;
  private AuditStreams auditStreams;
  private GatewayGuards guards;
  private TokenVerifier.External external;
  private Router router;
  private ReadDeadlines deadlines;
  private ServiceConsumers consumers;

  public GatewayVerticle(NodeIdentity node, GatewaySettings settings, PoolSettings database) {
    this.node = node;
    this.settings = settings;
    this.database = database;
  }

  @Override
  public Future<?> start() {
    pool = DatabasePool.create(vertx, database);
    guards = GatewayGuards.of(vertx, settings);
    deadlines = new ReadDeadlines(vertx, settings.requestReadTimeoutMs(), settings.idleTimeoutSeconds() * 1000);
    external = GatewayKeys.external(vertx, settings.jwks());
    if (external != null) {
      // Not waited for: without the provider the built-in tokens still work, and a token naming a
      // key not fetched yet asks for the set again.
      external.keys().refresh();
      vertx.setPeriodic(settings.jwks().refreshMs(), id -> external.keys().refresh());
    }
    ClientRegistry clients = new ClientRegistry(settings.clients());
    AuthFailures authFailures = new AuthFailures(vertx, pool, clients);
    TokenRevocations revocations = new TokenRevocations(vertx, pool, settings.tokens().maxLifetimeSeconds());
    consumers = new ServiceConsumers(vertx);
    return vertx.executeBlocking(RequestSchemas::loadOpenApi)
        .compose(openApi -> GatewayKeys.load(vertx, pool, settings.tokens()).map(keys -> {
          // New nodes' keys and revocations reach this instance without a restart.
          vertx.setPeriodic(PublishedKeys.POLL_MS, id -> keys.published().load());
          vertx.setPeriodic(TokenRevocations.POLL_MS, id -> revocations.load());
          phases(new RequestSchemas(openApi), keys.verifier(settings.tokens(), revocations, external), authFailures);
          TokenGuards tokenGuards = TokenGuards.of(vertx, settings.tokenLimits());
          return new TokenEndpoint(tokenGuards, tokenGuards.hashing(vertx, settings.tokenLimits()), clients,
              keys.issuer(settings.tokens()), authFailures);
        }))
        .compose(tokens -> revocations.load()
            .compose(loaded -> consumers.on(Addresses.TOKENS_REVOKE, revocations::revoke))
            .map(registered -> tokens))
        .compose(tokens -> vertx.createHttpServer(serverOptions())
            .invalidRequestHandler(new MalformedRequests())
            .connectionHandler(deadlines::connected)
            .requestHandler(router = router(tokens))
            .listen())
        .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    if (external != null) {
      external.keys().close();
    }
    Future<?> shutdown = server == null ? Future.succeededFuture() : server.shutdown(5, TimeUnit.SECONDS);
    return consumers == null ? shutdown : shutdown.compose(done -> consumers.stopAndDrain());
  }

  /** An API request's phases: admission on the headers, parsing, the service call. */
  private void phases(RequestSchemas schemas, TokenVerifier verifier, AuthFailures authFailures) {
    FailureAnswers failures = new FailureAnswers(guards.calls().policy().retryAfterSeconds());
    RequestParser parser = new RequestParser(schemas);
    admission = new HeaderAdmission(verifier, guards, authFailures, failures);
    api = new ApiHandler(parser, new ServiceForwarder(guards.calls()), failures, guards.metrics());
    auditStreams = new AuditStreams(vertx, parser, failures, guards.calls().policy().timeoutMs(),
        guards.auditStreams());
  }

  /** The routes this instance serves (for the test that holds them against openapi.yaml). */
  Router router() {
    return router;
  }

  /**
   * HTTPS when {@code gateway.tls.certPath} and {@code gateway.tls.keyPath} name a PEM certificate
   * (chain) and its PEM private key; plain HTTP otherwise. A connection that neither sends nor
   * receives for {@code gateway.idleTimeoutSeconds} is closed (without it, idle connections were
   * held for ever: a flood of them ends only at the process's file limit); slow ones are cut by
   * {@link ReadDeadlines}. The default, 75 s, is longer than the 60 s for which common clients
   * (Vert.x's among them) keep an idle connection, so that they close it first: a request sent on
   * a connection the server is closing at that moment fails before it is read. HTTP/1.1 only:
   * with cleartext HTTP/2 (h2c) on, Vert.x sets a connection up only once its first request's
   * headers are in, too late for the first deadline; no client of the API uses h2c.
   */
  private HttpServerOptions serverOptions() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(node.httpHost())
        .setPort(node.httpPort())
        .setMaxInitialLineLength(8192).setMaxHeaderSize(16384)
        .setIdleTimeout((int) settings.idleTimeoutSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setCompressionSupported(false)
        // HTTP/1.1 only: Vert.x's h2c upgrade answers a half-formed "Upgrade: h2c" with a bare 400.
        .setHttp2ClearTextEnabled(false);
    if (settings.tls() != null) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(settings.tls().certPath()).setKeyPath(settings.tls().keyPath()));
    }
    return options;
  }

  private Router router(TokenEndpoint tokens) {
    Router router = Router.router(vertx);
    router.route().handler(deadlines).handler(new RequestIds()).handler(new RequestTelemetry());
    // Anyone may call the token endpoint, and its form needs a few hundred bytes: 8 KiB, so that
    // the requests it holds at its work bound hold 32 MiB at most.
    router.post("/oauth/token").handler(BodyHandler.create(false).setBodyLimit(8 * 1024))
        .handler(guards.inFlight()).handler(tokens::handle);
    authorized(router, Routes.AUDIT_EXPORT).handler(auditStreams::export);
    // a live stream takes a stream slot (AuditStreamSlots), not a work slot: it lasts as long as its token
    admitted(router, Routes.AUDIT_STREAM).handler(auditStreams::follow);
    for (ApiRoute route : Routes.ALL) {
      authorized(router, route).handler(ctx -> api.handle(ctx, route));
    }
    // status only: checks' data and /metrics are on the node's management listener
    Readiness.statusOnlyRoutes(router, Readiness.checks(vertx, pool, node.clustered()));
    router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("Content-Type", "application/yaml")
        .sendFile("openapi.yaml"));
    router.errorHandler(404, ctx -> HttpAnswers.problem(ctx, ErrorCode.NOT_FOUND, "no such route"));
    router.errorHandler(413, ctx -> HttpAnswers.problem(ctx, ErrorCode.PAYLOAD_TOO_LARGE,
        "the body is larger than this route accepts"));
    router.errorHandler(400, ctx -> HttpAnswers.problem(ctx, ErrorCode.VALIDATION_FAILED, "malformed request"));
    router.errorHandler(417, ctx -> HttpAnswers.problem(ctx, ErrorCode.VALIDATION_FAILED,
        "the only expectation supported is 'Expect: 100-continue'"));
    router.errorHandler(500, this::unexpected);
    // Last, once every route is in: the Allow header of a 405 is read from them.
    AllowedMethods allowed = new AllowedMethods(router.getRoutes());
    router.errorHandler(405, ctx -> {
      ctx.response().putHeader("Allow", allowed.of(ctx.normalizedPath()));
      HttpAnswers.problem(ctx, ErrorCode.METHOD_NOT_ALLOWED,
          ctx.request().method() + " is not allowed on " + ctx.request().path());
    });
    return router;
  }

  /**
   * An API route: token, rate limit, scope and room for the body on the headers; then the body;
   * then a slot of the node's work bound (health and metrics take none, so operators always
   * reach them).
   */
  private Route authorized(Router router, ApiRoute endpoint) {
    return admitted(router, endpoint).handler(guards.inFlight());
  }

  /** An API route's admission and body, without a work slot. */
  private Route admitted(Router router, ApiRoute endpoint) {
    Route route = router.route(endpoint.method(), endpoint.path())
        .handler(new HeaderAuthorization(admission, endpoint));
    if (endpoint.readsBody()) {
      // an API body is JSON: a form body is refused later, so its attributes are never merged
      // into the query's parameters (merging decodes the query, and threw on a malformed one
      // outside any handler: the request never got an answer)
      route.handler(BodyHandler.create(false).setBodyLimit(endpoint.maxBodyBytes()).setMergeFormAttributes(false));
    }
    return route;
  }

  private void unexpected(RoutingContext ctx) {
    if (ctx.failure() instanceof ServiceException refusal) {
      HttpAnswers.send(ctx, refusal.toAnswer(HttpAnswers.requestId(ctx)));
      return;
    }
    HttpAnswers.send(ctx, BusReply.toAnswer(ctx.failure(), new RequestContext(
        HttpAnswers.requestId(ctx), null, null, Set.of(), null, null, null, 0L), "gateway"));
  }
}
