package fincloud.node;

import fincloud.shared.ConfigSection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code FINCLOUD_DEMO}: a demo node has the demo clients of {@value #RESOURCE} (two tenants and
 * the platform operator, with published secrets) besides any configured ones. Unset, demo mode is
 * on only with the embedded database, so that the README's first command works as it is and a
 * deployment on a real PostgreSQL never accepts a published secret.
 */
final class DemoMode {
  static final String KEY = "FINCLOUD_DEMO";
  static final String RESOURCE = "fincloud-demo.json";

  private DemoMode() {
  }

  static boolean on(ConfigSection root) {
    if (root.optionalText(KEY) == null) {
      return root.optionalText("FINCLOUD_PG_URL") == null;
    }
    return root.bool(KEY);
  }

  /**
   * The configuration with the demo clients after the configured ones (so that a refusal names the
   * index the operator wrote). Blocking: reads the resource.
   */
  static JsonObject withDemoClients(JsonObject json) {
    Object configured = json.getValue("clients");
    if (configured != null && !(configured instanceof JsonArray)) {
      return json; // refused, naming the key, by the gateway's settings
    }
    JsonArray clients = configured == null ? new JsonArray() : ((JsonArray) configured).copy();
    return json.copy().put("clients", clients.addAll(demoClients()));
  }

  private static JsonArray demoClients() {
    try (InputStream in = DemoMode.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("no " + RESOURCE + " in the jar");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getJsonArray("clients");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
