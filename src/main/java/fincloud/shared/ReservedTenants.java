package fincloud.shared;

import java.util.Set;

/**
 * Tenant ids that start with {@code _} belong to the platform, never to an institution:
 * {@code _platform} is the platform operator's tenant (its clients hold the scope {@code operator}
 * and nothing else), {@code _system} is the audit chain of what belongs to no tenant (failed logins
 * of unknown clients). The operator reads {@code _system} and the cluster, and no tenant's money.
 */
public final class ReservedTenants {
  public static final String PLATFORM = "_platform";
  public static final String SYSTEM = "_system";
  public static final String OPERATOR_SCOPE = "operator";

  private ReservedTenants() {
  }

  /** Why a client (or a token) of this tenant with these scopes may not exist, or null when it may. */
  public static String refusal(String tenant, Set<String> scopes) {
    boolean operator = scopes.contains(OPERATOR_SCOPE);
    if (tenant.equals(PLATFORM)) {
      return scopes.equals(Set.of(OPERATOR_SCOPE)) ? null
          : "a client of the platform tenant " + PLATFORM + " has the scope " + OPERATOR_SCOPE + " and no other";
    }
    if (tenant.startsWith("_")) {
      return "tenant ids starting with _ are reserved (" + PLATFORM + " is the platform operator's)";
    }
    return operator ? "the scope " + OPERATOR_SCOPE + " belongs to clients of the tenant " + PLATFORM : null;
  }
}
