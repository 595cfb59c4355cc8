package fincloud.gateway;

import fincloud.bus.CallPolicy;
import fincloud.shared.ConfigSection;
import fincloud.shared.ReservedTenants;
import fincloud.shared.RequestDeadline;
import io.vertx.core.json.JsonArray;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gateway's settings: the {@code gateway} section, the {@code clients}, and the flat keys of
 * its tokens and of the external identity provider. Its circuit breakers ({@code gateway.breaker})
 * are read with the other call policies, not here.
 *
 * @param maxInFlight API requests one node works on at once
 * @param idleTimeoutSeconds a connection silent both ways this long is closed
 * @param requestReadTimeoutMs time for a new connection's first headers, and for a request's body
 * @param calls the deadline, retries and circuit breakers of the gateway's calls to services
 * @param jwks the external identity provider, or null without {@code FINCLOUD_JWKS_URL}
 * @param tls the certificate and key of HTTPS, or null for plain HTTP
 * @param instances gateway verticles on one node, or null for one per core
 */
public record GatewaySettings(RequestDeadline deadline, int maxInFlight, long idleTimeoutSeconds,
    long requestReadTimeoutMs, CallPolicy calls, BodyBudgetBytes bodyBudget, RateLimits rateLimits,
    TokenLimits tokenLimits, Tokens tokens, Jwks jwks, Tls tls, List<ClientRegistry.Client> clients, Integer instances,
    AuditStreamLimits auditStreams) {

  /** {@code gateway.auditStreams}: live audit streams open at once by one client, and on the node. */
  public record AuditStreamLimits(int perClient, int perNode) {
  }

  /** {@code gateway.bodyBudget}: request-body bytes held at once by the node, and by one client. */
  public record BodyBudgetBytes(long nodeBytes, long clientBytes) {
  }

  /** {@code limit} requests per {@code periodMs}. */
  public record RateLimit(int limit, long periodMs) {
  }

  /** {@code gateway.rateLimits}: {@code fallback} (the {@code default}, or null for none) and each client's own. */
  public record RateLimits(RateLimit fallback, Map<String, RateLimit> clients) {
    public RateLimits {
      clients = Map.copyOf(clients);
    }
  }

  /**
   * {@code gateway.tokenLimits}: requests to {@code /oauth/token} per client id and per source
   * address, and the secret checks: threads of their own pool and how many may wait.
   */
  public record TokenLimits(RateLimit perClient, RateLimit perAddress, int hashingThreads, int hashingMaxWaiting) {
  }

  /**
   * The built-in issuer: {@code FINCLOUD_TOKEN_*} and this node's private signing key, from
   * {@code gateway.signingKey} (a private EC P-256 JWK), or else from {@code keyFile}.
   *
   * @param signingKey the key's JWK text, or null to read {@code keyFile}
   * @param keyFile {@code gateway.signingKeyFile} or {@code FINCLOUD_SIGNING_KEY_FILE} (must exist),
   *     else {@code gateway-signing-key.jwk} in the data folder (generated on the first start)
   * @param keyFileGiven whether {@code keyFile} was configured, i.e. must not be generated
   * @param maxLifetimeSeconds {@code gateway.jwks.maxLifetimeSeconds}: no token of any issuer is
   *     accepted whose {@code exp - iat} is longer; also how long a retired key keeps verifying
   */
  public record Tokens(String issuer, String audience, long ttlSeconds, String signingKey, Path keyFile,
      boolean keyFileGiven, long maxLifetimeSeconds) {
  }

  /**
   * {@code FINCLOUD_JWKS_URL} and {@code gateway.jwks}.
   *
   * @param tenants the only tenants the provider's tokens may name (others are 401)
   * @param scopes the only scopes they may grant (others are dropped)
   */
  public record Jwks(String url, String issuer, String audience, long minRefreshMs, long refreshMs,
      Set<String> tenants, Set<String> scopes) {
    public Jwks {
      tenants = Set.copyOf(tenants);
      scopes = Set.copyOf(scopes);
    }
  }

  /** {@code gateway.tls}: PEM certificate (chain) and PEM private key. */
  public record Tls(String certPath, String keyPath) {
  }

  private static final long ONE_TIB = 1L << 40;
  private static final String DEFAULT_KEY_FILE = "gateway-signing-key.jwk";

  public GatewaySettings {
    clients = List.copyOf(clients);
  }

  /** @param dataDir the node's data folder, home of the generated signing key */
  public static GatewaySettings from(ConfigSection root, Path dataDir) {
    ConfigSection gateway = root.section("gateway");
    Tokens tokens = tokens(root, gateway, dataDir);
    return new GatewaySettings(RequestDeadline.from(root),
        gateway.integer("maxInFlight", 1, 1_000_000),
        gateway.longInteger("idleTimeoutSeconds", 1, 86_400),
        gateway.longInteger("requestReadTimeoutMs", 1, 3_600_000),
        CallPolicy.from(gateway, RequestDeadline.from(root).ms()),
        bodyBudget(gateway.section("bodyBudget")),
        rateLimits(gateway.section("rateLimits")),
        tokenLimits(gateway.section("tokenLimits")),
        tokens,
        jwks(root, gateway.section("jwks"), tokens),
        tls(gateway.optionalSection("tls")),
        clients(root),
        gateway.optionalInteger("instances", 1, 1_024),
        auditStreams(gateway.section("auditStreams")));
  }

  /** A client's limit is within the node's. */
  private static AuditStreamLimits auditStreams(ConfigSection streams) {
    int perNode = streams.integer("perNode", 1, 100_000);
    return new AuditStreamLimits(streams.integer("perClient", 1, perNode), perNode);
  }

  /** The node's budget holds at least one client's, which holds at least the largest body a route takes. */
  private static BodyBudgetBytes bodyBudget(ConfigSection budget) {
    long largestBody = Routes.EVERY.stream().mapToLong(ApiRoute::maxBodyBytes).max().orElse(0);
    long clientBytes = budget.longInteger("clientBytes", largestBody, ONE_TIB);
    return new BodyBudgetBytes(budget.longInteger("nodeBytes", clientBytes, ONE_TIB), clientBytes);
  }

  private static RateLimits rateLimits(ConfigSection rateLimits) {
    ConfigSection fallback = rateLimits.optionalSection("default");
    ConfigSection clients = rateLimits.section("clients");
    Map<String, RateLimit> perClient = new LinkedHashMap<>();
    clients.keys().forEach(client -> perClient.put(client, rateLimit(clients.section(client))));
    return new RateLimits(fallback == null ? null : rateLimit(fallback), perClient);
  }

  private static TokenLimits tokenLimits(ConfigSection limits) {
    return new TokenLimits(rateLimit(limits.section("perClient")), rateLimit(limits.section("perAddress")),
        limits.integer("hashingThreads", 1, 64), limits.integer("hashingMaxWaiting", 1, 100_000));
  }

  private static RateLimit rateLimit(ConfigSection limit) {
    return new RateLimit(limit.integer("limit", 1, 1_000_000_000), limit.longInteger("periodMs", 1, 86_400_000));
  }

  private static Tokens tokens(ConfigSection root, ConfigSection gateway, Path dataDir) {
    long maxLifetimeSeconds = gateway.section("jwks").longInteger("maxLifetimeSeconds", 1, 2_592_000);
    long ttlSeconds = root.longInteger("FINCLOUD_TOKEN_TTL_SECONDS", 1, 2_592_000);
    if (ttlSeconds > maxLifetimeSeconds) {
      throw root.refused("FINCLOUD_TOKEN_TTL_SECONDS", "at most gateway.jwks.maxLifetimeSeconds ("
          + maxLifetimeSeconds + "), the longest lifetime a token may have", ttlSeconds);
    }
    String keyFile = gateway.optionalText("signingKeyFile");
    if (keyFile == null) {
      keyFile = root.optionalText("FINCLOUD_SIGNING_KEY_FILE");
    }
    return new Tokens(root.text("FINCLOUD_TOKEN_ISSUER"), root.text("FINCLOUD_TOKEN_AUDIENCE"), ttlSeconds,
        gateway.optionalText("signingKey"), keyFile != null ? Path.of(keyFile) : dataDir.resolve(DEFAULT_KEY_FILE),
        keyFile != null, maxLifetimeSeconds);
  }

  /** The provider's tokens are told apart by their issuer, so it must not be the built-in one. */
  private static Jwks jwks(ConfigSection root, ConfigSection jwks, Tokens tokens) {
    long minRefreshMs = jwks.longInteger("minRefreshMs", 1, 86_400_000);
    long refreshMs = jwks.longInteger("refreshMs", 1, 86_400_000);
    String url = root.optionalText("FINCLOUD_JWKS_URL");
    if (url == null) {
      return null;
    }
    String issuer = jwks.optionalText("issuer");
    if (issuer == null || issuer.equals(tokens.issuer())) {
      throw jwks.refused("issuer", "the iss of the identity provider's tokens (FINCLOUD_JWKS_URL is set), other "
          + "than the built-in issuer " + tokens.issuer(), issuer);
    }
    String audience = jwks.optionalText("audience");
    return new Jwks(url, issuer, audience != null ? audience : tokens.audience(), minRefreshMs, refreshMs,
        words(jwks, "tenants", "the tenants the identity provider's tokens may name"),
        words(jwks, "scopes", "the scopes the identity provider's tokens may grant"));
  }

  /** A required, non-empty list of words (tenant ids, scopes) of an allow-list. */
  private static Set<String> words(ConfigSection section, String key, String meaning) {
    Object value = section.optionalValue(key);
    Set<String> words = new LinkedHashSet<>();
    if (value instanceof JsonArray array) {
      for (Object word : array) {
        if (!(word instanceof String text) || text.isBlank() || !text.equals(text.trim())) {
          throw section.refused(key, "a list of words: " + meaning, value);
        }
        words.add(text);
      }
    }
    if (words.isEmpty()) {
      throw section.refused(key, "a non-empty list: " + meaning + " (FINCLOUD_JWKS_URL is set)", value);
    }
    return words;
  }

  private static Tls tls(ConfigSection tls) {
    String cert = tls == null ? null : tls.optionalText("certPath");
    if (cert == null) {
      return null;
    }
    String key = tls.optionalText("keyPath");
    if (key == null) {
      throw tls.refused("keyPath", "the PEM private key of gateway.tls.certPath", null);
    }
    return new Tls(cert, key);
  }

  private static List<ClientRegistry.Client> clients(ConfigSection root) {
    Map<String, ClientRegistry.Client> clients = new LinkedHashMap<>();
    for (ConfigSection entry : root.sections("clients")) {
      ClientRegistry.Client client = new ClientRegistry.Client(entry.text("id"), entry.text("tenant"),
          Collections.unmodifiableSet(new LinkedHashSet<>(List.of(entry.text("scopes").split("\\s+")))),
          entry.text("secretHash"));
      if (!SecretHash.isWellFormed(client.secretHash())) {
        throw entry.refused("secretHash", "the stored form printed by: java -jar fincloud.jar hash-secret",
            client.secretHash());
      }
      String reserved = ReservedTenants.refusal(client.tenant(), client.scopes());
      if (reserved != null) {
        throw entry.refused("tenant", reserved + " (client " + client.id() + " with scopes "
            + String.join(" ", client.scopes()) + ")", client.tenant());
      }
      if (clients.put(client.id(), client) != null) {
        throw entry.refused("id", "unique among the clients", client.id());
      }
    }
    return List.copyOf(clients.values());
  }
}
