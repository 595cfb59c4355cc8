package fincloud.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.shared.Ids;
import fincloud.testkit.Eventually;
import fincloud.testkit.Funds;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestDatabase;
import fincloud.testkit.TestNode;
import fincloud.testkit.TestSql;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deployment upgrading from a version before encryption: its accounts, transfers and kept
 * answers hold customer fields in clear, written here in SQL as that version wrote them. Once a
 * node of this version has run, no table holds those values, every answer still shows them, and an
 * erasure reaches them (also one made before the backfill got to them).
 */
@ExtendWith(VertxExtension.class)
class UpgradeBackfillTest {
  private static final String TELLER = "acme-teller";
  private static final String ADMIN = "acme-admin";

  @TempDir
  Path dataDir;

  @Test
  void fieldsWrittenInClearBeforeEncryptionAreSealedAndStillAnswered(Vertx vertx) {
    String pgUrl = TestDatabase.freshDatabase();
    String m = UUID.randomUUID().toString().replace("-", "");

    // the schema, and one transfer kept for its Idempotency-Key, as this version writes them
    TestNode node = TestNode.start(vertx, config(86_400_000), pgUrl);
    TestClient http = node.client();
    String payer = http.openAccount(TELLER, new JsonObject().put("currency", "EUR")).getString("id");
    Funds.fund(http, payer, "EUR", 10_000);
    String shop = http.openAccount(TELLER, new JsonObject().put("currency", "EUR")).getString("id");
    JsonObject request = new JsonObject().put("debitAccountId", payer).put("creditAccountId", shop).put("amount", 100)
        .put("currency", "EUR").put("reference", "kept-" + m).put("metadata", new JsonObject().put("memo", "keptmeta-" + m));
    HttpResponse<Buffer> created = http.post(TELLER, "/v1/transfers", request, "legacy-" + m);
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    JsonObject answer = created.bodyAsJsonObject();
    http.close();
    node.stop();

    // what the older version left: that transfer and its kept answer in clear, and accounts and a
    // transfer of its own (without data keys)
    sql(pgUrl, "UPDATE transfers SET reference = ?, metadata = ?::jsonb WHERE id = ? RETURNING id",
        "kept-" + m, request.getJsonObject("metadata").encode(), answer.getString("id"));
    sql(pgUrl, "UPDATE idempotency_records SET response = ?::jsonb WHERE key = ? RETURNING key",
        answer.encode(), "legacy-" + m);
    String alice = legacyAccount(pgUrl, "alice-" + m, new JsonObject().put("note", "alicemeta-" + m), -250);
    String bob = legacyAccount(pgUrl, null, new JsonObject(), 300);
    String carol = legacyAccount(pgUrl, "carol-" + m, new JsonObject().put("note", "carolmeta-" + m), -50);
    String aliceToBob = legacyTransfer(pgUrl, alice, bob, 250, "alicepays-" + m, new JsonObject().put("k", "alicetmeta-" + m));
    String carolToBob = legacyTransfer(pgUrl, carol, bob, 50, "carolpays-" + m, new JsonObject().put("k", "caroltmeta-" + m));
    List<String> values = List.of("kept-" + m, "keptmeta-" + m, "alice-" + m, "alicemeta-" + m, "alicepays-" + m,
        "alicetmeta-" + m, "carol-" + m, "carolmeta-" + m, "carolpays-" + m, "caroltmeta-" + m);
    assertThat(tablesContaining(pgUrl, "alicepays-" + m)).containsExactly("transfers");

    // a node whose backfill has not come round yet: it shows what is in clear as it is, and an
    // erasure reaches the transfers the account debited even so
    node = TestNode.start(vertx, config(86_400_000), pgUrl);
    http = node.client();
    assertThat(ok(http.get(TELLER, "/v1/accounts/" + alice)).getString("ownerRef")).isEqualTo("alice-" + m);
    ok(http.post(ADMIN, "/v1/accounts/" + carol + "/erase", null));
    JsonObject carolPaid = ok(http.get(TELLER, "/v1/transfers/" + carolToBob));
    assertThat(carolPaid.getValue("reference")).isNull();
    assertThat(carolPaid.getJsonObject("metadata")).isEqualTo(new JsonObject());
    http.close();
    node.stop();

    // the backfill in rounds of two rows a table: nothing left in clear anywhere
    node = TestNode.start(vertx, config(20), pgUrl);
    http = node.client();
    for (String value : values) {
      Eventually.until(value + " sealed", Duration.ofSeconds(30), () -> tablesContaining(pgUrl, value).isEmpty());
    }
    assertThat(TestSql.number(pgUrl, "SELECT count(*) FROM account_keys WHERE account_id IN (?, ?)", alice, bob))
        .isEqualTo(2L);

    JsonObject aliceNow = ok(http.get(TELLER, "/v1/accounts/" + alice));
    assertThat(aliceNow.getString("ownerRef")).isEqualTo("alice-" + m);
    assertThat(aliceNow.getJsonObject("metadata")).isEqualTo(new JsonObject().put("note", "alicemeta-" + m));
    JsonObject bobNow = ok(http.get(TELLER, "/v1/accounts/" + bob));
    assertThat(bobNow.getValue("ownerRef")).isNull();
    assertThat(bobNow.getJsonObject("metadata")).isEqualTo(new JsonObject());
    JsonObject paid = ok(http.get(TELLER, "/v1/transfers/" + aliceToBob));
    assertThat(paid.getString("reference")).isEqualTo("alicepays-" + m);
    assertThat(paid.getJsonObject("metadata")).isEqualTo(new JsonObject().put("k", "alicetmeta-" + m));
    assertThat(ok(http.get(TELLER, "/v1/transfers/" + carolToBob)).getValue("reference")).isNull();
    assertThat(ok(http.get(TELLER, "/v1/accounts/" + carol)).getValue("ownerRef")).isNull();
    HttpResponse<Buffer> replayed = http.post(TELLER, "/v1/transfers", request, "legacy-" + m);
    assertThat(replayed.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replayed.bodyAsJsonObject()).isEqualTo(answer);

    // sealed with the account's own key: its erasure reaches what the backfill sealed
    ok(http.post(ADMIN, "/v1/accounts/" + alice + "/erase", null));
    assertThat(ok(http.get(TELLER, "/v1/transfers/" + aliceToBob)).getValue("reference")).isNull();
    JsonObject line = ok(http.get(ADMIN, "/v1/ledger/trial-balance")).getJsonArray("currencies").getJsonObject(0);
    assertThat(line.getLong("sumPosted")).isZero();
    http.close();
    node.stop();
  }

  private JsonObject config(long backfillIntervalMs) {
    return new JsonObject().put("FINCLOUD_DATA_DIR", dataDir.toString())
        .put("privacy", new JsonObject().put("rewrapIntervalMs", backfillIntervalMs).put("rewrapBatch", 2));
  }

  /** An account as the older version inserted it: its fields in clear, no data key. */
  private static String legacyAccount(String pgUrl, String ownerRef, JsonObject metadata, long posted) {
    String id = Ids.account();
    sql(pgUrl, "INSERT INTO accounts (id, tenant, currency, status, overdraft_limit, allow_negative, owner_ref, metadata,"
        + " posted, pending, created_at) VALUES (?, 'acme', 'EUR', 'ACTIVE', 0, true, ?, ?::jsonb, ?, 0, now()) RETURNING id",
        id, ownerRef, metadata.encode(), posted);
    return id;
  }

  /** A posted transfer and its entries as the older version inserted them. */
  private static String legacyTransfer(String pgUrl, String debit, String credit, long amount, String reference,
      JsonObject metadata) {
    String id = Ids.transfer();
    sql(pgUrl, "INSERT INTO transfers (id, tenant, debit_account_id, credit_account_id, amount, currency, mode, status,"
        + " posted_amount, reference, metadata, created_at, posted_at) VALUES (?, 'acme', ?, ?, ?, 'EUR', 'IMMEDIATE',"
        + " 'POSTED', ?, ?, ?::jsonb, now(), now()) RETURNING id", id, debit, credit, amount, amount, reference,
        metadata.encode());
    sql(pgUrl, "INSERT INTO entries (account_id, transfer_id, side, amount, balance_after, posted_at) VALUES"
        + " (?, ?, 'DEBIT', ?, 0, now()), (?, ?, 'CREDIT', ?, 0, now()) RETURNING id",
        debit, id, amount, credit, id, amount);
    return id;
  }

  private static void sql(String pgUrl, String statement, Object... parameters) {
    assertThat(TestSql.rows(pgUrl, statement, parameters)).as(statement).isNotEmpty();
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  /** The tables of the schema in which some row, read whole as text, contains {@code value}. */
  private static List<String> tablesContaining(String pgUrl, String value) {
    List<String> found = new ArrayList<>();
    for (Map<String, Object> table : TestSql.rows(pgUrl,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")) {
      String name = table.get("tablename").toString();
      if (TestSql.number(pgUrl, "SELECT count(*) FROM \"" + name + "\" t WHERE strpos(t::text, ?) > 0", value) > 0) {
        found.add(name);
      }
    }
    return found;
  }
}
