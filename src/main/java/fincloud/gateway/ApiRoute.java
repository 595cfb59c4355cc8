package fincloud.gateway;

import io.vertx.core.http.HttpMethod;
import java.util.Set;

/**
 * One route of the public API: who may call it, what it accepts, and which service address
 * answers it.
 *
 * @param scopes the caller needs one of these
 * @param schema the name of the request body schema in openapi.yaml, or null for no body
 * @param idempotency whether an Idempotency-Key is refused, accepted or required
 * @param paged whether it takes {@code limit} and {@code cursor}
 */
public record ApiRoute(HttpMethod method, String path, Set<String> scopes, String address, String schema,
    Idempotency idempotency, boolean paged, int maxBodyBytes) {

  public enum Idempotency { NONE, ACCEPTED, REQUIRED }

  static final int DEFAULT_MAX_BODY = 64 * 1024;

  static ApiRoute read(String path, String scope, String address) {
    return new ApiRoute(HttpMethod.GET, path, Set.of(scope), address, null, Idempotency.NONE, false, DEFAULT_MAX_BODY);
  }

  static ApiRoute list(String path, String scope, String address) {
    return new ApiRoute(HttpMethod.GET, path, Set.of(scope), address, null, Idempotency.NONE, true, DEFAULT_MAX_BODY);
  }

  static ApiRoute write(String path, String scope, String address, String schema) {
    return new ApiRoute(HttpMethod.POST, path, Set.of(scope), address, schema, Idempotency.ACCEPTED, false,
        DEFAULT_MAX_BODY);
  }

  /** A PUT that replaces a whole resource: no Idempotency-Key (doing it twice leaves the same state). */
  static ApiRoute replace(String path, String scope, String address, String schema) {
    return new ApiRoute(HttpMethod.PUT, path, Set.of(scope), address, schema, Idempotency.NONE, false,
        DEFAULT_MAX_BODY);
  }

  /** A GET has no body to read (BodyHandler would even throw on a GET that claims a form body). */
  boolean readsBody() {
    return method != HttpMethod.GET;
  }

  ApiRoute requiringKey() {
    return new ApiRoute(method, path, scopes, address, schema, Idempotency.REQUIRED, paged, maxBodyBytes);
  }

  ApiRoute withMaxBody(int bytes) {
    return new ApiRoute(method, path, scopes, address, schema, idempotency, paged, bytes);
  }

  ApiRoute orScope(String scope) {
    return new ApiRoute(method, path, Set.of(scopes.iterator().next(), scope), address, schema, idempotency,
        paged, maxBodyBytes);
  }
}
