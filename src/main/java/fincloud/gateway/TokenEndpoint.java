package fincloud.gateway;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /oauth/token}: the OAuth 2.0 client-credentials grant (RFC 6749 4.4), with the
 * client's credentials in the body (form or JSON) or in HTTP Basic; errors are RFC 6749's.
 */
final class TokenEndpoint {
  private final TokenGuards guards;
  private final SecretHashing hashing;
  private final ClientRegistry clients;
  private final TokenIssuer issuer;
  private final AuthFailures authFailures;

  TokenEndpoint(TokenGuards guards, SecretHashing hashing, ClientRegistry clients, TokenIssuer issuer,
      AuthFailures authFailures) {
    this.guards = guards;
    this.hashing = hashing;
    this.clients = clients;
    this.issuer = issuer;
    this.authFailures = authFailures;
  }

  void handle(RoutingContext ctx) {
    JsonObject form = form(ctx);
    if (form == null) {
      error(ctx, 400, "invalid_request", "send the grant as application/x-www-form-urlencoded or JSON");
      return;
    }
    if (!"client_credentials".equals(form.getString("grant_type"))) {
      error(ctx, 400, "unsupported_grant_type", "only client_credentials is supported");
      return;
    }
    String clientId = form.getString("client_id");
    String address = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().host();
    long wait = guards.limits().secondsToWait(clientId, address);
    if (wait > 0) {
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      error(ctx, 429, "slow_down", "too many token requests for this client id or from this address");
      return;
    }
    clients.authenticate(hashing, clientId, form.getString("client_secret")).onComplete(done -> {
      if (done.failed() && done.cause() instanceof SecretHashing.Busy) {
        ctx.response().putHeader("Retry-After", "1");
        error(ctx, 503, "temporarily_unavailable", "too many secrets are being checked: retry");
        return;
      }
      if (done.failed() || done.result() == null) {
        authFailures.record(ctx, clientId, "bad client credentials");
        ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"fincloud\"");
        error(ctx, 401, "invalid_client", "unknown client or wrong secret");
        return;
      }
      ClientRegistry.Client client = done.result();
      RequestTelemetry.caller(ctx, client.tenant(), client.id());
      Set<String> scopes = requested(form.getString("scope"), client.scopes());
      if (scopes == null) {
        error(ctx, 400, "invalid_scope", "the client may ask for: " + String.join(" ", client.scopes()));
        return;
      }
      ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
          .end(new JsonObject()
              .put("access_token", issuer.issue(client.id(), client.tenant(), scopes))
              .put("token_type", "Bearer")
              .put("expires_in", issuer.ttlSeconds())
              .put("scope", String.join(" ", scopes)).toBuffer());
    });
  }

  /** The parameters from Basic auth and the body; null when the body is of another kind. */
  private static JsonObject form(RoutingContext ctx) {
    JsonObject form = new JsonObject();
    String type = String.valueOf(ctx.request().getHeader("Content-Type")).toLowerCase();
    if (type.startsWith("application/json")) {
      try {
        form.mergeIn(ctx.body().asJsonObject());
      } catch (RuntimeException e) {
        return null;
      }
    } else if (type.startsWith("application/x-www-form-urlencoded")) {
      ctx.request().formAttributes().forEach(e -> form.put(e.getKey(), e.getValue()));
    } else if (ctx.body().length() > 0) {
      return null;
    }
    basic(ctx.request().getHeader("Authorization"), form);
    return form;
  }

  private static void basic(String authorization, JsonObject form) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      return;
    }
    try {
      String pair = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = pair.indexOf(':');
      if (colon > 0) {
        form.put("client_id", pair.substring(0, colon)).put("client_secret", pair.substring(colon + 1));
      }
    } catch (IllegalArgumentException ignored) {
      // not Basic credentials: the body's, if any, are used
    }
  }

  private static Set<String> requested(String scope, Set<String> allowed) {
    if (scope == null || scope.isBlank()) {
      return allowed;
    }
    Set<String> asked = new LinkedHashSet<>(List.of(scope.trim().split("\\s+")));
    return allowed.containsAll(asked) ? asked : null;
  }

  private static void error(RoutingContext ctx, int status, String error, String description) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(new JsonObject().put("error", error).put("error_description", description).toBuffer());
  }
}
