package fincloud.shared;

import java.nio.file.Path;

/**
 * Who this node is to the outside, as the flat {@code FINCLOUD_*} keys say: where its HTTP
 * ingress listens (API, health, metrics), the folder of its files, and whether it is in a cluster.
 */
public record NodeIdentity(String httpHost, int httpPort, Path dataDir, boolean clustered) {

  public static NodeIdentity from(ConfigSection root) {
    return new NodeIdentity(root.text("FINCLOUD_HTTP_HOST"), root.integer("FINCLOUD_HTTP_PORT", 0, 65_535),
        Path.of(root.text("FINCLOUD_DATA_DIR")), root.bool("FINCLOUD_CLUSTER"));
  }
}
