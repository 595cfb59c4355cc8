package fincloud;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who may use whom (docs/design.md, "Packages"): a service (and the gateway) reaches another only
 * by message, so no service package uses the classes of another; the neutral packages that every
 * service shares (shared, bus, outbox, idempotency) use no service and not the node; only the node
 * launcher knows every role.
 */
class PackageBoundariesTest {
  private static final List<String> SERVICES = List.of("gateway", "accounts", "payments", "risk", "audit");
  private static final String[] NEUTRAL = {"fincloud.shared..", "fincloud.bus..", "fincloud.outbox..", "fincloud.privacy..",
      "fincloud.idempotency.."};

  private static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("fincloud");

  @Test
  void noServiceUsesAnotherService() {
    for (String service : SERVICES) {
      String[] others = SERVICES.stream().filter(s -> !s.equals(service)).map(s -> "fincloud." + s + "..")
          .toArray(String[]::new);
      ArchRule rule = noClasses().that().resideInAPackage("fincloud." + service + "..")
          .should().dependOnClassesThat().resideInAnyPackage(others)
          .because("services talk only over the event bus");
      rule.check(MAIN);
    }
  }

  @Test
  void sharedPackagesUseNoServiceAndNotTheNode() {
    String[] services = SERVICES.stream().map(s -> "fincloud." + s + "..").toArray(String[]::new);
    noClasses().that().resideInAnyPackage(NEUTRAL)
        .should().dependOnClassesThat().resideInAnyPackage(services)
        .orShould().dependOnClassesThat().resideInAPackage("fincloud.node..")
        .because("what every service shares must not pull one service into another")
        .check(MAIN);
  }

  @Test
  void onlyTheNodeLauncherUsesTheNode() {
    noClasses().that().resideOutsideOfPackage("fincloud.node..")
        .should().dependOnClassesThat().resideInAPackage("fincloud.node..")
        .check(MAIN);
  }
}
