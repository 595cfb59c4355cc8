package fincloud.shared;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The TLS parameters of one server's URL ({@code postgresql://user:password@host:port/db?params},
 * one server of {@link MultiHostUrl}) for the Vert.x pg client, as libpq and the JDBC driver (which
 * read them themselves from {@link MultiHostUrl#jdbcUrl}) honour them: {@code sslmode=require} encrypts,
 * {@code verify-ca} also checks the server's certificate against {@code sslrootcert} (a PEM CA
 * file; without it, the JVM's trusted CAs), {@code verify-full} also checks that the certificate
 * names the host. The Vert.x client reads {@code sslmode} itself but not {@code sslrootcert}.
 */
public final class DatabaseUrl {
  private DatabaseUrl() {
  }

  /** Connect options of the Vert.x pg client, TLS as the URL asks. */
  public static PgConnectOptions connectOptions(String pgUrl) {
    PgConnectOptions options = PgConnectOptions.fromUri(pgUrl);
    SslMode mode = options.getSslMode();
    if (mode == SslMode.DISABLE || mode == SslMode.ALLOW || mode == SslMode.PREFER) {
      return options;
    }
    String rootCert = parameters(pgUrl).get("sslrootcert");
    ClientSSLOptions tls = new ClientSSLOptions();
    if (rootCert != null) {
      tls.setTrustOptions(new PemTrustOptions().addCertPath(rootCert));
    } else if (mode == SslMode.REQUIRE) {
      // libpq's require: encrypted, the certificate not checked (no root certificate was given)
      tls.setTrustAll(true);
    }
    tls.setHostnameVerificationAlgorithm(mode == SslMode.VERIFY_FULL ? "HTTPS" : "");
    return options.setSslOptions(tls);
  }

  /** The URL's query parameters, decoded. */
  static Map<String, String> parameters(String pgUrl) {
    Map<String, String> parameters = new LinkedHashMap<>();
    int query = pgUrl.indexOf('?');
    if (query < 0) {
      return parameters;
    }
    for (String pair : pgUrl.substring(query + 1).split("&")) {
      int equals = pair.indexOf('=');
      if (equals > 0) {
        parameters.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
      }
    }
    return parameters;
  }
}
