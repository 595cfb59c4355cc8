package fincloud.loadtest;

import java.util.Arrays;
import java.util.List;

/**
 * Every tunable of the simulations, read from system properties so that one compiled simulation
 * serves a smoke run and a long soak alike: {@code mvn gatling:test -Drate=200 -Dduration=300}.
 * The defaults finish in about a minute against a node on 127.0.0.1:8080.
 */
record LoadSettings(
    List<String> baseUrls,
    double rate,
    double readRate,
    int rampSeconds,
    int durationSeconds,
    int accounts,
    double hotShare,
    String clientId,
    String clientSecret,
    String currency,
    int p99Ms,
    double maxErrorPercent) {

  /** Settings of a run against one node: {@code -DbaseUrl=}. */
  static LoadSettings single() {
    return read(List.of(System.getProperty("baseUrl", "http://127.0.0.1:8080")));
  }

  /** Settings of a run spread over a cluster's gateways: {@code -DbaseUrls=url,url,...}. */
  static LoadSettings cluster() {
    String urls = System.getProperty("baseUrls",
        "http://127.0.0.1:8080,http://127.0.0.1:8081,http://127.0.0.1:8082");
    return read(Arrays.stream(urls.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
  }

  private static LoadSettings read(List<String> baseUrls) {
    double rate = number("rate", 50);
    double hotShare = number("hotShare", 0);
    if (hotShare < 0 || hotShare > 1) {
      throw new IllegalArgumentException("hotShare is a share of the transfers, between 0 and 1: " + hotShare);
    }
    int accounts = (int) number("accounts", 100);
    if (accounts < 3) {
      throw new IllegalArgumentException("at least 3 accounts, so that random pairs exist besides the hot one");
    }
    return new LoadSettings(
        baseUrls.stream().map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u).toList(),
        rate,
        number("readRate", rate / 5),
        (int) number("rampSeconds", 5),
        (int) number("duration", 50),
        accounts,
        hotShare,
        System.getProperty("clientId", "acme-admin"),
        System.getProperty("clientSecret", "acme-admin-secret"),
        System.getProperty("currency", "USD"),
        (int) number("p99Ms", 250),
        number("maxErrorPercent", 1));
  }

  private static double number(String name, double fallback) {
    String value = System.getProperty(name);
    return value == null || value.isBlank() ? fallback : Double.parseDouble(value.trim());
  }
}
