package fincloud.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The node's configuration, read once: the flat {@code FINCLOUD_*} keys of README.md, Configuration (which the
 * environment can override) and the nested sections of the configuration file.
 */
public record NodeConfig(JsonObject json) {
  public static final List<String> ALL_ROLES = List.of("gateway", "accounts", "payments", "risk", "audit");

  public String httpHost() {
    return json.getString("FINCLOUD_HTTP_HOST", "127.0.0.1");
  }

  public int httpPort() {
    return json.getInteger("FINCLOUD_HTTP_PORT", 8080);
  }

  public Path dataDir() {
    return Path.of(json.getString("FINCLOUD_DATA_DIR", "./fincloud-data"));
  }

  /** The PostgreSQL URL, or null to start the embedded server. */
  public String pgUrl() {
    String url = json.getString("FINCLOUD_PG_URL");
    return url == null || url.isBlank() ? null : url;
  }

  public Set<String> roles() {
    String roles = json.getString("FINCLOUD_ROLES", "all").trim();
    if (roles.equals("all")) {
      return new LinkedHashSet<>(ALL_ROLES);
    }
    Set<String> chosen = new LinkedHashSet<>();
    for (String role : roles.split("[,\\s]+")) {
      if (!ALL_ROLES.contains(role)) {
        throw new IllegalArgumentException("unknown role in FINCLOUD_ROLES: " + role);
      }
      chosen.add(role);
    }
    return chosen;
  }

  public boolean clustered() {
    return json.getBoolean("FINCLOUD_CLUSTER", false);
  }

  public long requestTimeoutMs() {
    return json.getLong("FINCLOUD_REQUEST_TIMEOUT_MS", 10_000L);
  }

  public JsonObject section(String name) {
    return json.getJsonObject(name, new JsonObject());
  }

  public JsonArray clients() {
    return json.getJsonArray("clients", new JsonArray());
  }

  /** The configuration each verticle receives: everything, plus the database URL actually used. */
  public JsonObject forVerticles(String pgUrl) {
    return json.copy().put("FINCLOUD_PG_URL", pgUrl);
  }
}
