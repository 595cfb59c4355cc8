package fincloud.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away CA and one node certificate it signed (for 127.0.0.1, client and server use), made
 * with the JDK's keytool, as the PEM files that {@code cluster.eventBusTls} takes.
 */
public final class TestCertificates {
  private static final String PASSWORD = "changeit";

  public final Path caPem;
  public final Path certPem;
  public final Path keyPem;
  private final Path nodeStore;

  private TestCertificates(Path dir) {
    caPem = dir.resolve("ca.pem");
    certPem = dir.resolve("node.pem");
    keyPem = dir.resolve("node.key");
    nodeStore = dir.resolve("node.p12");
  }

  public static TestCertificates create(Path dir) throws IOException, GeneralSecurityException {
    TestCertificates certs = new TestCertificates(dir);
    String ca = dir.resolve("ca.p12").toString();
    String node = certs.nodeStore.toString();
    String csr = dir.resolve("node.csr").toString();
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=fincloud-test-ca",
        "-ext", "bc:c", "-validity", "2", "-keystore", ca, "-storetype", "PKCS12", "-storepass", PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca, "-storepass", PASSWORD,
        "-file", certs.caPem.toString());
    keytool("-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=fincloud-node",
        "-validity", "2", "-keystore", node, "-storetype", "PKCS12", "-storepass", PASSWORD);
    keytool("-certreq", "-alias", "node", "-keystore", node, "-storepass", PASSWORD, "-file", csr);
    keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", ca, "-storepass", PASSWORD, "-infile", csr,
        "-outfile", certs.certPem.toString(), "-validity", "2", "-ext", "SAN=IP:127.0.0.1",
        "-ext", "EKU=serverAuth,clientAuth");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", certs.caPem.toString(), "-keystore", node,
        "-storepass", PASSWORD);
    keytool("-importcert", "-alias", "node", "-file", certs.certPem.toString(), "-keystore", node,
        "-storepass", PASSWORD);
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(certs.nodeStore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    byte[] key = store.getKey("node", PASSWORD.toCharArray()).getEncoded();
    Files.writeString(certs.keyPem, "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key)
        + "\n-----END PRIVATE KEY-----\n");
    return certs;
  }

  /** A client context trusting the CA; with the node's certificate, or with none. */
  SSLContext clientContext(boolean withCertificate) throws IOException, GeneralSecurityException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
      trust.setCertificateEntry("ca", ca);
    }
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    if (withCertificate) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(nodeStore)) {
        keys.load(in, PASSWORD.toCharArray());
      }
      KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(keys, PASSWORD.toCharArray());
      context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
    } else {
      context.init(null, trustManagers.getTrustManagers(), null);
    }
    return context;
  }

  private static void keytool(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      process.destroyForcibly();
    }
  }
}
