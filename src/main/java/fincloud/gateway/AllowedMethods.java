package fincloud.gateway;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The methods a path is served with, for the {@code Allow} header of a 405 (RFC 9110 requires
 * it): read from the router's own routes, so that it cannot drift from them.
 */
final class AllowedMethods {
  private record Served(Pattern path, Set<HttpMethod> methods) {
  }

  private final List<Served> served = new ArrayList<>();

  /** @param routes all of the router's routes */
  AllowedMethods(List<Route> routes) {
    for (Route route : routes) {
      if (route.getPath() != null && route.methods() != null && !route.methods().isEmpty()) {
        served.add(new Served(pattern(route.getPath()), route.methods()));
      }
    }
  }

  /** e.g. "GET, POST" for a normalized path ({@code RoutingContext.normalizedPath()}); empty when no route has it. */
  String of(String path) {
    Set<String> methods = new TreeSet<>();
    served.stream().filter(s -> s.path().matcher(path).matches())
        .forEach(s -> s.methods().forEach(method -> methods.add(method.name())));
    return String.join(", ", methods);
  }

  /** "/v1/accounts/:id" matches one path segment where ":id" stands, and, as the router does, a trailing slash. */
  private static Pattern pattern(String path) {
    StringBuilder regex = new StringBuilder();
    for (String segment : path.split("/", -1)) {
      if (!regex.isEmpty() || !segment.isEmpty()) {
        regex.append('/');
      }
      regex.append(segment.startsWith(":") ? "[^/]+" : Pattern.quote(segment));
    }
    return Pattern.compile(regex + "/?");
  }
}
