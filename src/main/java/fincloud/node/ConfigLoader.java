package fincloud.node;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Defaults in the jar, then the files given with {@code --config} (JSON or YAML), then the
 * {@code FINCLOUD_*} environment variables: each later source wins.
 */
public final class ConfigLoader {
  static final JsonArray ENV_KEYS = new JsonArray()
      .add("FINCLOUD_HTTP_HOST").add("FINCLOUD_HTTP_PORT").add("FINCLOUD_DATA_DIR")
      .add("FINCLOUD_MANAGEMENT_HOST").add("FINCLOUD_MANAGEMENT_PORT")
      .add("FINCLOUD_PG_URL").add("FINCLOUD_PG_MIGRATION_URL").add("FINCLOUD_ROLES").add("FINCLOUD_CLUSTER")
      .add("FINCLOUD_CLUSTER_CONFIG").add("FINCLOUD_TOKEN_ISSUER").add("FINCLOUD_TOKEN_AUDIENCE")
      .add("FINCLOUD_TOKEN_TTL_SECONDS").add("FINCLOUD_JWKS_URL").add("FINCLOUD_REQUEST_TIMEOUT_MS")
      .add("FINCLOUD_PG_PORT").add("FINCLOUD_CLUSTER_NAME").add("FINCLOUD_CLUSTER_HEARTBEAT_SECONDS")
      .add("FINCLOUD_CLUSTER_PORT").add("FINCLOUD_CLUSTER_PORT_COUNT").add("FINCLOUD_EVENTBUS_HOST").add("FINCLOUD_EVENTBUS_PORT")
      .add("FINCLOUD_EVENTBUS_PUBLIC_HOST").add("FINCLOUD_DEMO").add("FINCLOUD_SIGNING_KEY_FILE")
      .add("FINCLOUD_AUDIT_KEY_FILE").add("FINCLOUD_CALLER_KEY_FILE").add("FINCLOUD_KEK_FILE");

  private ConfigLoader() {
  }

  /** Every key a setting reads has its default here, and nowhere else. */
  public static final String DEFAULTS = "fincloud-defaults.json";

  public static Future<JsonObject> load(Vertx vertx, String configFile) {
    return loadAll(vertx, configFile == null ? List.of() : List.of(configFile));
  }

  /** @param configFiles files given with {@code --config}, each later one winning (e.g. the clients from a secret) */
  public static Future<JsonObject> loadAll(Vertx vertx, List<String> configFiles) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setScanPeriod(0)
        .addStore(new ConfigStoreOptions().setType("file").setFormat("json")
            .setConfig(new JsonObject().put("path", DEFAULTS)));
    for (String configFile : configFiles) {
      String format = configFile.endsWith(".yaml") || configFile.endsWith(".yml") ? "yaml" : "json";
      options.addStore(new ConfigStoreOptions().setType("file").setFormat(format)
          .setConfig(new JsonObject().put("path", configFile)));
    }
    options.addStore(new ConfigStoreOptions().setType("env")
        .setConfig(new JsonObject().put("keys", ENV_KEYS)));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig().onComplete(done -> retriever.close());
  }

  /** The defaults alone, as the jar carries them. Blocking: reads the resource. */
  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new IllegalStateException("no " + DEFAULTS + " in the jar");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
