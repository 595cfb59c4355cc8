package fincloud.gateway;

import fincloud.node.Main;
import fincloud.node.MetricsPage;
import io.vertx.core.Vertx;

/** A Vert.x built as the node's launcher builds it, with Prometheus metrics (TestNode's has none). */
final class MetricsVertx {
  private MetricsVertx() {
  }

  static Vertx create() {
    return Vertx.builder().with(Main.vertxOptions()).withMetrics(MetricsPage.factory()).build();
  }
}
