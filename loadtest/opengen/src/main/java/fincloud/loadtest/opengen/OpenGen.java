package fincloud.loadtest.opengen;

import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The benchmark's helper against one FinCloud node:
 * <pre>
 *   java -jar opengen.jar setup  --url http://127.0.0.1:8080 --dir DIR [--accounts 1000]
 *   java -jar opengen.jar run    --url ... --dir DIR --rate 500 --seconds 60 [--warmup 5]
 *                                [--hot-share 0.9] [--connections 256] [--label NAME] [--hgrm FILE]
 *   java -jar opengen.jar run    --url ... --dir DIR --runs LABEL:RATE:HOT_SHARE,... --seconds 60
 *                                [--warmup 5] [--hgrm-dir DIR]   (several runs, one after the other)
 *   java -jar opengen.jar jfr-top --file RECORDING.jfr [--top 25]
 *   java -jar opengen.jar verify --url ... --dir DIR
 * </pre>
 * {@code setup} opens and funds the accounts and writes DIR/token and DIR/accounts.txt (the hot
 * account first), which wrk's script reads too; {@code run} is the open-model generator;
 * {@code verify} checks the trial balance; {@code jfr-top} summarises a Java Flight Recording of
 * the node. setup, run and verify print lines starting with the command name in capitals and
 * {@code key=value} pairs, for the benchmark script to read.
 */
public final class OpenGen {
  private OpenGen() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      usage();
    }
    Map<String, String> options = options(args);
    String url = options.getOrDefault("url", "http://127.0.0.1:8080");
    Path dir = Path.of(options.getOrDefault("dir", "."));
    Vertx vertx = Vertx.vertx();
    int exit = 0;
    try {
      switch (args[0]) {
        case "setup" -> new Setup(vertx, url, dir, options.getOrDefault("client", "acme-admin"),
            options.getOrDefault("secret", "acme-admin-secret"), options.getOrDefault("currency", "USD"))
            .run(Integer.parseInt(options.getOrDefault("accounts", "1000")));
        case "run" -> runAll(vertx, url, dir, options);
        case "jfr-top" -> JfrTop.print(Path.of(required(options, "file")),
            Integer.parseInt(options.getOrDefault("top", "25")));
        case "verify" -> exit = new Setup(vertx, url, dir, null, null, null).verify() ? 0 : 1;
        default -> usage();
      }
    } finally {
      vertx.close().await();
    }
    System.exit(exit);
  }

  /** Runs one after the other with one client, each with its own warm-up and its own report line. */
  private static void runAll(Vertx vertx, String url, Path dir, Map<String, String> options) throws Exception {
    String runs = options.containsKey("runs") ? options.get("runs")
        : options.getOrDefault("label", "run") + ":" + required(options, "rate") + ":"
            + options.getOrDefault("hot-share", "0");
    WebClient client = OpenLoad.client(vertx, url, Integer.parseInt(options.getOrDefault("connections", "256")));
    for (String run : runs.split(",")) {
      String[] parts = run.split(":");
      if (parts.length != 3) {
        usage();
      }
      String hgrm = options.containsKey("hgrm-dir") ? Path.of(options.get("hgrm-dir"), parts[0] + ".hgrm").toString()
          : options.get("hgrm");
      new OpenLoad(vertx, client, dir, new OpenLoad.Plan(parts[0], Double.parseDouble(parts[1]),
          Integer.parseInt(options.getOrDefault("seconds", "60")),
          Integer.parseInt(options.getOrDefault("warmup", "5")),
          Double.parseDouble(parts[2]), options.getOrDefault("currency", "USD"), hgrm)).run();
    }
    client.close();
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        usage();
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null) {
      usage();
    }
    return value;
  }

  private static void usage() {
    System.err.println("usage: opengen setup|run|verify --url URL --dir DIR [options]; see the class comment");
    System.exit(2);
  }
}
