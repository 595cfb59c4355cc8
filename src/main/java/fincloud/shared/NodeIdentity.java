package fincloud.shared;

import java.nio.file.Path;

/**
 * Who this node is to the outside, as the flat {@code FINCLOUD_*} keys say: where its HTTP
 * ingress listens (the API and status-only health), where its management listener listens
 * ({@code /metrics} and detailed health, loopback by default), the folder of its files, and whether
 * it is in a cluster.
 */
public record NodeIdentity(String httpHost, int httpPort, String managementHost, int managementPort, Path dataDir,
    boolean clustered) {
  /** The management port's distance from the HTTP port by default: nodes sharing a host each get their own. */
  static final int MANAGEMENT_PORT_OFFSET = 1000;
  private static final int MAX_PORT = 65_535;

  public static NodeIdentity from(ConfigSection root) {
    int httpPort = root.integer("FINCLOUD_HTTP_PORT", 0, MAX_PORT);
    Integer managementPort = root.optionalInteger("FINCLOUD_MANAGEMENT_PORT", 0, MAX_PORT);
    if (managementPort == null) {
      managementPort = managementPortFor(root, httpPort);
    }
    if (managementPort != 0 && managementPort == httpPort) {
      throw root.refused("FINCLOUD_MANAGEMENT_PORT", "a port other than FINCLOUD_HTTP_PORT (it must not serve the API)",
          managementPort);
    }
    return new NodeIdentity(root.text("FINCLOUD_HTTP_HOST"), httpPort, root.text("FINCLOUD_MANAGEMENT_HOST"),
        managementPort, Path.of(root.text("FINCLOUD_DATA_DIR")), root.bool("FINCLOUD_CLUSTER"));
  }

  /** HTTP port + 1000; a free port when the HTTP port is (0). */
  private static int managementPortFor(ConfigSection root, int httpPort) {
    if (httpPort == 0) {
      return 0;
    }
    if (httpPort + MANAGEMENT_PORT_OFFSET > MAX_PORT) {
      throw root.refused("FINCLOUD_MANAGEMENT_PORT", "a port set explicitly (FINCLOUD_HTTP_PORT + 1000 is past 65535)",
          null);
    }
    return httpPort + MANAGEMENT_PORT_OFFSET;
  }
}
