package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configured checkpoint key file (a mounted secret) is read, never generated: a missing one
 * stops the node instead of leaving it a key that dies with its pod.
 */
class CheckpointKeyFileTest {

  private static AuditSettings withKeyFile(Path file, boolean given) {
    return new AuditSettings(50, 2000, 1000, 10, 10, null, file, given, List.of());
  }

  @Test
  void aConfiguredKeyFileThatIsMissingIsRefused(@TempDir Path dir) {
    Path missing = dir.resolve("secret/audit-signing-key.jwk");
    assertThatThrownBy(() -> CheckpointKeys.load(withKeyFile(missing, true)))
        .hasMessageContaining("audit.keyFile names a key file that does not exist");
    assertThat(missing).doesNotExist();
  }

  @Test
  void aConfiguredKeyFileIsUsedAndTheDefaultOneIsGeneratedOnce(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("audit-signing-key.jwk");
    String key = CheckpointKeys.generate().toJSONString();
    Files.writeString(secret, key);
    assertThat(CheckpointKeys.load(withKeyFile(secret, true)).kid())
        .isEqualTo(com.nimbusds.jose.jwk.ECKey.parse(key).getKeyID());
    Path generated = dir.resolve("data/audit-signing-key.jwk");
    String kid = CheckpointKeys.load(withKeyFile(generated, false)).kid();
    assertThat(CheckpointKeys.load(withKeyFile(generated, false)).kid()).as("kept, not made again").isEqualTo(kid);
  }
}
