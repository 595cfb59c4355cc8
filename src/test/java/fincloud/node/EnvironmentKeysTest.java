package fincloud.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A setting named {@code FINCLOUD_*} is one an operator sets in the environment (a Kubernetes
 * manifest mounts its key files that way): the configuration takes from the environment only the
 * names {@link ConfigLoader#ENV_KEYS} lists, so a name the code reads but that list lacks is
 * silently ignored (the key-encryption and caller key files once were).
 */
class EnvironmentKeysTest {
  private static final Pattern NAME = Pattern.compile("\"(FINCLOUD_[A-Z_]+)\"");

  @Test
  void everyFincloudNameTheCodeReadsIsTakenFromTheEnvironment() throws IOException {
    Set<String> named = new TreeSet<>();
    try (Stream<Path> sources = Files.walk(Path.of("src/main/java"))) {
      for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher matcher = NAME.matcher(Files.readString(source));
        while (matcher.find()) {
          named.add(matcher.group(1));
        }
      }
    }
    assertThat(named).contains("FINCLOUD_PG_URL", "FINCLOUD_KEK_FILE", "FINCLOUD_CALLER_KEY_FILE");
    assertThat(ConfigLoader.ENV_KEYS.getList()).containsAll(named);
  }
}
