package fincloud.shared;

import io.vertx.pgclient.PgConnectOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code FINCLOUD_PG_URL} in libpq's multi-host form, the one failover engines print
 * ({@code pg_autoctl show uri}):
 * {@code postgresql://user:password@host1:port1,host2:port2/database?target_session_attrs=read-write}.
 * The Vert.x client reads one host per URL, so the URL is cut here into one single-host URL per
 * server (every other parameter kept), which Vert.x then parses as usual. A single-host URL is the
 * special case of one server.
 *
 * @param servers one single-host URL per server, in the order given
 * @param writableOnly whether only a server that accepts writes will do
 *     ({@code target_session_attrs=read-write} or {@code primary})
 * @param parameters the URL's other query parameters as given (sslmode, sslrootcert...), or ""
 */
public record MultiHostUrl(List<String> servers, List<String> hostPorts, String database, boolean writableOnly,
    String parameters) {
  private static final int DEFAULT_PORT = 5432;
  private static final Set<String> WRITABLE = Set.of("read-write", "primary");
  private static final String SESSION_ATTRS = "target_session_attrs";

  /** Throws {@link IllegalArgumentException} naming what is wrong with the URL. */
  public static MultiHostUrl parse(String url) {
    int schemeEnd = url.indexOf("://");
    String scheme = schemeEnd < 0 ? "" : url.substring(0, schemeEnd);
    if (!scheme.equals("postgresql") && !scheme.equals("postgres")) {
      throw new IllegalArgumentException("a postgresql:// URL is expected");
    }
    String rest = url.substring(schemeEnd + 3);
    int queryStart = rest.indexOf('?');
    String query = queryStart < 0 ? "" : rest.substring(queryStart + 1);
    rest = queryStart < 0 ? rest : rest.substring(0, queryStart);
    int pathStart = rest.indexOf('/', rest.lastIndexOf('@') + 1);
    String database = pathStart < 0 ? "" : rest.substring(pathStart + 1);
    String authority = pathStart < 0 ? rest : rest.substring(0, pathStart);
    int at = authority.lastIndexOf('@');
    String userInfo = at < 0 ? "" : authority.substring(0, at + 1);
    Map<String, String> parameters = parameters(query);
    boolean writableOnly = sessionAttrs(parameters.remove(SESSION_ATTRS));
    String kept = parameters.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining("&"));
    List<String> hostPorts = new ArrayList<>();
    List<String> servers = new ArrayList<>();
    for (String host : authority.substring(at + 1).split(",", -1)) {
      String hostPort = hostPort(host);
      hostPorts.add(hostPort);
      servers.add(scheme + "://" + userInfo + hostPort + (database.isEmpty() ? "" : "/" + database)
          + (kept.isEmpty() ? "" : "?" + kept));
    }
    return new MultiHostUrl(List.copyOf(servers), List.copyOf(hostPorts), database, writableOnly, kept);
  }

  /** The connect options of each server, in the order of the URL, TLS as it asks ({@link DatabaseUrl}). */
  public List<PgConnectOptions> connectOptions() {
    return servers.stream().map(DatabaseUrl::connectOptions).toList();
  }

  /**
   * The same servers for the JDBC driver (Flyway, the durability check), which finds the primary
   * among several hosts by itself ({@code targetServerType=primary}).
   */
  public String jdbcUrl() {
    String query = Stream.of(parameters, writableOnly ? "targetServerType=primary" : "")
        .filter(part -> !part.isEmpty()).collect(Collectors.joining("&"));
    return "jdbc:postgresql://" + String.join(",", hostPorts) + "/" + database + (query.isEmpty() ? "" : "?" + query);
  }

  private static Map<String, String> parameters(String query) {
    Map<String, String> parameters = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (!pair.isEmpty()) {
        int eq = pair.indexOf('=');
        parameters.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
      }
    }
    return parameters;
  }

  private static boolean sessionAttrs(String value) {
    if (value == null || value.equals("any")) {
      return false;
    }
    if (!WRITABLE.contains(value)) {
      throw new IllegalArgumentException(SESSION_ATTRS + " must be read-write, primary or any (the node writes),"
          + " got " + value);
    }
    return true;
  }

  /** {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}, answered with its port. */
  private static String hostPort(String host) {
    int portAt = host.startsWith("[") ? host.indexOf("]:") + 1 : host.lastIndexOf(':');
    String name = portAt <= 0 ? host : host.substring(0, portAt);
    if (name.isEmpty() || name.equals("[]")) {
      throw new IllegalArgumentException("every server needs a host name, got '" + host + "'");
    }
    if (portAt <= 0) {
      return name + ":" + DEFAULT_PORT;
    }
    String port = host.substring(portAt + 1);
    if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65_535) {
      throw new IllegalArgumentException("the port of " + name + " must be from 1 to 65535, got '" + port + "'");
    }
    return host;
  }
}
