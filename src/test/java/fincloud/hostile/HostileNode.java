package fincloud.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.gateway.SecretHash;
import fincloud.node.ConfigLoader;
import fincloud.node.DatabaseSettings;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node for attacking: the demo clients plus one acme client per single scope and a globex
 * client with every scope, a few accounts and transfers in both tenants to aim at, and the checks
 * that the books are whole afterwards.
 */
final class HostileNode {
  /** Every scope of docs/contract.md, Authentication and scopes. */
  static final List<String> SCOPES = List.of("accounts:read", "accounts:write", "transfers:read",
      "transfers:write", "risk:admin", "audit:read", "admin");
  static final String ACME_ADMIN = "acme-admin";
  static final String ACME_TELLER = "acme-teller";
  static final String GLOBEX_ADMIN = "globex-admin";

  final Vertx vertx;
  final TestNode node;
  final TestClient http;
  final RawHttp raw;
  /** acme: USD accounts with money, an EUR one, a hold and a posted transfer. */
  final List<String> acmeUsd = new ArrayList<>();
  String acmeEur;
  String acmeFunding;
  String acmeHold;
  String acmePosted;
  /** globex: two USD accounts and a posted transfer between them. */
  final List<String> globexUsd = new ArrayList<>();
  String globexPosted;
  private final Map<String, String> tenantOfId = new ConcurrentHashMap<>();

  private HostileNode(TestNode node, TestClient http) {
    this.vertx = node.vertx();
    this.node = node;
    this.http = http;
    this.raw = new RawHttp(node.port());
  }

  /** The client that holds exactly one scope, in the acme tenant. */
  static String singleScopeClient(String scope) {
    return "acme-only-" + scope.replace(':', '-');
  }

  /**
   * The node to attack, for a test class's {@code @OwnNode} method: on a Vert.x of its own with
   * metrics on, as the real node has them (/metrics is attacked too), which it closes when it stops.
   */
  static TestNode start() {
    Vertx vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)).setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory()).build();
    JsonArray clients = ConfigLoader.load(vertx, null).await().getJsonArray("clients").copy();
    SCOPES.forEach(scope -> clients.add(client(singleScopeClient(scope), "acme", scope)));
    clients.add(client(GLOBEX_ADMIN, "globex", String.join(" ", SCOPES)));
    return TestNode.startOnItsOwnVertx(vertx, new JsonObject().put("clients", clients));
  }

  /** That node with its accounts and transfers to aim at. */
  static HostileNode seeded(TestNode node, TestClient http) {
    HostileNode hostile = new HostileNode(node, http);
    hostile.seed();
    return hostile;
  }

  private static JsonObject client(String id, String tenant, String scopes) {
    return new JsonObject().put("id", id).put("tenant", tenant).put("scopes", scopes)
        .put("secretHash", SecretHash.hash(id + TestClient.SECRET_SUFFIX));
  }

  private void seed() {
    acmeFunding = account(ACME_ADMIN, new JsonObject().put("currency", "USD").put("allowNegative", true));
    for (int i = 0; i < 4; i++) {
      String account = account(ACME_TELLER, new JsonObject().put("currency", "USD"));
      created(http.transfer(ACME_TELLER, acmeFunding, account, 1_000_000, "USD"));
      acmeUsd.add(account);
    }
    acmeEur = account(ACME_TELLER, new JsonObject().put("currency", "EUR"));
    acmeHold = created(http.post(ACME_TELLER, "/v1/transfers", transfer(acmeUsd.get(0), acmeUsd.get(1), 10, "USD")
        .put("mode", "PENDING"), key())).getString("id");
    acmePosted = created(http.transfer(ACME_TELLER, acmeUsd.get(1), acmeUsd.get(2), 5, "USD")).getString("id");
    String globexFunding = account(GLOBEX_ADMIN, new JsonObject().put("currency", "USD").put("allowNegative", true));
    for (int i = 0; i < 2; i++) {
      globexUsd.add(account("globex-teller", new JsonObject().put("currency", "USD")));
    }
    globexPosted = created(http.transfer("globex-teller", globexFunding, globexUsd.get(0), 1_000, "USD")).getString("id");
  }

  String account(String clientId, JsonObject request) {
    return http.openAccount(clientId, request).getString("id");
  }

  static JsonObject transfer(String debit, String credit, long amount, String currency) {
    return new JsonObject().put("debitAccountId", debit).put("creditAccountId", credit).put("amount", amount)
        .put("currency", currency);
  }

  static String key() {
    return UUID.randomUUID().toString();
  }

  static JsonObject created(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  String token(String clientId) {
    return http.token(clientId);
  }

  /**
   * The tenant an account or transfer id belongs to, null when there is no such resource. A miss
   * reloads every id at once (a few thousand rows), so that checking a 1000-transfer answer costs
   * one query, not a thousand.
   */
  synchronized String tenantOf(String id) {
    String known = tenantOfId.get(id);
    if (known == null) {
      try (Connection connection = DatabaseSettings.connect(node.pgUrl());
          PreparedStatement statement = connection.prepareStatement(
              "SELECT id, tenant FROM accounts UNION ALL SELECT id, tenant FROM transfers");
          ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          tenantOfId.put(rows.getString(1), rows.getString(2));
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      known = tenantOfId.get(id);
    }
    return known;
  }

  /**
   * The books are whole: per tenant and currency the trial balance sums to zero with two entries
   * per posted transfer; every transfer has its two entries exactly when POSTED; every account's
   * posted and pending agree with its entries and its open holds.
   */
  void assertBooksAreWhole() {
    for (String client : List.of(ACME_ADMIN, GLOBEX_ADMIN)) {
      HttpResponse<Buffer> response = http.get(client, "/v1/ledger/trial-balance");
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
      for (Object line : response.bodyAsJsonObject().getJsonArray("currencies")) {
        JsonObject currency = (JsonObject) line;
        assertThat(currency.getValue("sumPosted").toString()).as("sumPosted of " + currency).isEqualTo("0");
        assertThat(currency.getLong("entries")).as("entries of " + currency)
            .isEqualTo(2 * currency.getLong("postedTransfers"));
      }
    }
    assertThat(count("""
        SELECT count(*) FROM transfers t
        WHERE NOT ((t.status = 'POSTED' AND (SELECT count(*) FROM entries e WHERE e.transfer_id = t.id) = 2)
                OR (t.status <> 'POSTED' AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.transfer_id = t.id)))"""))
        .as("transfers whose entries do not match their status").isZero();
    assertThat(count("""
        SELECT count(*) FROM transfers t
        WHERE t.status = 'POSTED' AND (
          (SELECT coalesce(sum(amount), 0) FROM entries e WHERE e.transfer_id = t.id AND e.side = 'DEBIT'
             AND e.account_id = t.debit_account_id) <> t.posted_amount
          OR (SELECT coalesce(sum(amount), 0) FROM entries e WHERE e.transfer_id = t.id AND e.side = 'CREDIT'
             AND e.account_id = t.credit_account_id) <> t.posted_amount)"""))
        .as("posted transfers whose entries do not move their posted amount").isZero();
    assertThat(count("""
        SELECT count(*) FROM accounts a
        WHERE a.posted <> (SELECT coalesce(sum(CASE side WHEN 'CREDIT' THEN amount ELSE -amount END), 0)
                           FROM entries e WHERE e.account_id = a.id)
           OR a.pending <> (SELECT coalesce(sum(amount), 0) FROM transfers t
                            WHERE t.debit_account_id = a.id AND t.status = 'PENDING')"""))
        .as("accounts whose balances disagree with their entries and holds").isZero();
  }

  /** Rows of transfers (any status) between two accounts, either way. */
  long transfersBetween(String a, String b) {
    return count("SELECT count(*) FROM transfers WHERE (debit_account_id = ? AND credit_account_id = ?)"
        + " OR (debit_account_id = ? AND credit_account_id = ?)", a, b, b, a);
  }

  long count(String sql, Object... parameters) {
    return Long.parseLong(string(sql, parameters));
  }

  private String string(String sql, Object... parameters) {
    try (Connection connection = DatabaseSettings.connect(node.pgUrl());
        PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      try (ResultSet rows = statement.executeQuery()) {
        return rows.next() ? rows.getString(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
