package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.gateway.SecretHash;
import fincloud.node.ConfigLoader;
import fincloud.shared.CanonicalJson;
import fincloud.testkit.Eventually;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestSql;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The audit log through the HTTP API of a whole node: what is recorded, who may read it, AUTH_FAILED. */
@ExtendWith({VertxExtension.class, NodeExtension.class})
class AuditApiTest {
  static final String AUDITOR = "acme-auditor";
  static final String KEY = CheckpointKeys.generate().toJSONString();
  static TestNode node;
  static TestClient http;

  @OwnNode
  static TestNode start(Vertx vertx) {
    return TestNode.start(vertx, config(vertx));
  }

  /** The demo configuration with a fixed checkpoint key and an auditor for globex too. */
  static JsonObject config(Vertx vertx) {
    JsonArray clients = ConfigLoader.load(vertx, null).await().getJsonArray("clients").copy()
        .add(new JsonObject().put("id", "globex-auditor").put("tenant", "globex").put("scopes", "audit:read")
            .put("secretHash", SecretHash.hash("globex-auditor" + TestClient.SECRET_SUFFIX)));
    return new JsonObject().put("clients", clients)
        .put("audit", new JsonObject().put("signingKey", KEY).put("checkpointEvery", 5));
  }

  static List<JsonObject> all(String client, String query) {
    return AuditReads.all(http, client, query);
  }

  static JsonObject waitFor(String client, String query, Predicate<JsonObject> record) {
    List<JsonObject> records = Eventually.until("the audit record", AuditReads.DEADLINE, () -> all(client, query),
        found -> found.stream().anyMatch(record));
    return records.stream().filter(record).findFirst()
        .orElseThrow(() -> new AssertionError("no such audit record in " + records));
  }

  @Test
  void anActionIsRecordedWithWhoWhatWhenWhereAndAHashAnyoneCanRecompute() {
    HttpResponse<Buffer> opened = http.post("acme-teller", "/v1/accounts", new JsonObject().put("currency", "USD"));
    String accountId = opened.bodyAsJsonObject().getString("id");
    JsonObject record = waitFor(AUDITOR, "", r -> accountId.equals(r.getString("entityId")));

    // clearData: the opened account's metadata is sealed in data (the hash covers the ciphertext)
    assertThat(record.fieldNames()).containsExactlyInAnyOrder("seq", "at", "tenant", "actor", "action",
        "entityType", "entityId", "success", "origin", "data", "requestId", "prevHash", "hash", "clearData");
    assertThat(record.getJsonObject("clearData").getJsonObject("metadata")).isEqualTo(new JsonObject());
    assertThat(record.getString("action")).isEqualTo("ACCOUNT_OPENED");
    assertThat(record.getString("tenant")).isEqualTo("acme");
    assertThat(record.getString("actor")).isEqualTo("acme-teller");
    assertThat(record.getBoolean("success")).isTrue();
    assertThat(record.getString("origin")).isEqualTo("127.0.0.1");
    assertThat(record.getString("requestId")).isEqualTo(opened.getHeader("X-Request-Id"));
    assertThat(record.getString("at")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");

    List<JsonObject> chain = all(AUDITOR, "");
    String prev = "0".repeat(64);
    for (int i = 0; i < chain.size(); i++) {
      JsonObject r = chain.get(i);
      assertThat(r.getLong("seq")).isEqualTo(i + 1);
      assertThat(r.getString("prevHash")).isEqualTo(prev);
      JsonObject hashed = r.copy();
      hashed.remove("prevHash");
      hashed.remove("hash");
      hashed.remove("clearData"); // outside the hash, beside it for the auditor
      assertThat(CanonicalJson.sha256Hex(prev + CanonicalJson.of(hashed))).as("hash of " + r).isEqualTo(r.getString("hash"));
      prev = r.getString("hash");
    }
    JsonObject verdict = http.get(AUDITOR, "/v1/audit/verify").bodyAsJsonObject();
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
    assertThat(verdict.getValue("firstInvalidSeq")).isNull();
    assertThat(verdict.getLong("headSeq")).isGreaterThanOrEqualTo(record.getLong("seq"));
    assertThat(verdict.getLong("checked")).isEqualTo(verdict.getLong("headSeq"));
  }

  @Test
  void aRefusedTransferIsRecordedWithItsCodeAndIdempotencyKey() {
    String debit = http.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
    String credit = http.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
    String key = "audit-" + UUID.randomUUID();
    HttpResponse<Buffer> refused = http.post("acme-teller", "/v1/transfers", new JsonObject()
        .put("debitAccountId", debit).put("creditAccountId", credit).put("amount", 500).put("currency", "USD"), key);
    assertThat(refused.statusCode()).isEqualTo(422);

    JsonObject record = waitFor(AUDITOR, "&entityId=" + debit, r -> r.getString("action").equals("TRANSFER_REJECTED"));
    assertThat(record.getBoolean("success")).isFalse();
    assertThat(record.getString("entityId")).isEqualTo(debit);
    assertThat(record.getJsonObject("data").getString("code")).isEqualTo("INSUFFICIENT_FUNDS");
    assertThat(record.getJsonObject("data").getString("idempotencyKey")).isEqualTo(key);
  }

  @Test
  void eventsPageBySeqAndFilterByEntity() {
    String account = http.openAccount("acme-teller", new JsonObject().put("currency", "EUR")).getString("id");
    http.post("acme-teller", "/v1/accounts/" + account + "/freeze", null);
    http.post("acme-admin", "/v1/accounts/" + account + "/unfreeze", null);
    List<JsonObject> ofAccount = Eventually.until("three records of the account", AuditReads.DEADLINE,
        () -> all(AUDITOR, "&entityId=" + account), found -> found.size() == 3);
    assertThat(ofAccount).extracting(r -> r.getString("action"))
        .containsExactly("ACCOUNT_OPENED", "ACCOUNT_FROZEN", "ACCOUNT_UNFROZEN");

    long from = ofAccount.get(0).getLong("seq") - 1;
    JsonObject page = http.get(AUDITOR, "/v1/audit/events?after=" + from + "&limit=1&entityId=" + account)
        .bodyAsJsonObject();
    assertThat(page.getJsonArray("items")).hasSize(1);
    assertThat(page.getJsonArray("items").getJsonObject(0).getLong("seq")).isEqualTo(from + 1);
    assertThat(page.getLong("nextAfter")).isEqualTo(from + 1);
    JsonObject last = http.get(AUDITOR, "/v1/audit/events?after=" + ofAccount.get(1).getLong("seq")
        + "&entityId=" + account).bodyAsJsonObject();
    assertThat(last.getJsonArray("items")).hasSize(1);
    assertThat(last.getValue("nextAfter")).isNull();
  }

  @Test
  void badParametersAreRefused() {
    for (String query : List.of("limit=0", "limit=1001", "after=-1", "after=x", "after=99999999999999999",
        "entityId=", "tenant=")) {
      HttpResponse<Buffer> refused = http.get(AUDITOR, "/v1/audit/events?" + query);
      assertThat(refused.statusCode()).as(query).isEqualTo(400);
      assertThat(refused.bodyAsJsonObject().getString("code")).isEqualTo("VALIDATION_FAILED");
    }
  }

  @Test
  void eachTenantReadsOnlyItsOwnChain() {
    http.openAccount("globex-teller", new JsonObject().put("currency", "USD"));
    http.openAccount("acme-teller", new JsonObject().put("currency", "USD"));
    List<JsonObject> globex = Eventually.until("a globex record", AuditReads.DEADLINE, () -> all("globex-auditor", ""),
        found -> !found.isEmpty());
    assertThat(globex).isNotEmpty().allMatch(r -> r.getString("tenant").equals("globex"));
    assertThat(all(AUDITOR, "")).isNotEmpty().allMatch(r -> r.getString("tenant").equals("acme"));
    assertThat(globex.get(0).getLong("seq")).as("globex has its own numbering").isEqualTo(1);

    assertThat(http.get("globex-teller", "/v1/audit/events").statusCode()).as("no audit:read").isEqualTo(403);
    assertThat(http.get(AUDITOR, "/v1/audit/events?tenant=globex").statusCode()).isEqualTo(404);
    assertThat(http.get(AUDITOR, "/v1/audit/verify?tenant=globex").statusCode()).isEqualTo(404);
    assertThat(http.get(AUDITOR, "/v1/audit/export?tenant=globex").statusCode()).isEqualTo(404);
    assertThat(http.get(AUDITOR, "/v1/audit/events?tenant=acme").statusCode()).isEqualTo(200);
    assertThat(http.get(AUDITOR, "/v1/audit/events?tenant=_system").statusCode()).as("needs operator").isEqualTo(403);
    assertThat(http.get("acme-admin", "/v1/audit/events?tenant=_system").statusCode()).as("a tenant's admin")
        .isEqualTo(403);
    assertThat(http.get("platform-operator", "/v1/audit/events?tenant=_system").statusCode()).isEqualTo(200);
    assertThat(http.get(null, "/v1/audit/events").statusCode()).isEqualTo(401);
  }

  @Test
  void theCheckpointKeyIsServedWithoutItsPrivatePart() {
    JsonObject keys = http.get(AUDITOR, "/v1/audit/keys").bodyAsJsonObject();
    JsonObject configured = new JsonObject(KEY);
    assertThat(keys.getJsonArray("keys")).hasSize(1);
    JsonObject served = keys.getJsonArray("keys").getJsonObject(0);
    assertThat(served.getString("kty")).isEqualTo("EC");
    assertThat(served.getString("kid")).isEqualTo(configured.getString("kid"));
    assertThat(served.getString("x")).isEqualTo(configured.getString("x"));
    assertThat(served.containsKey("d")).isFalse();
  }

  @Test
  void theCheckpointKeysAreListedWithTheirValidityInTheChain() {
    JsonObject configured = new JsonObject(KEY);
    JsonObject served = Eventually.until("a checkpoint signed", AuditReads.DEADLINE, () ->
            http.get(AUDITOR, "/v1/audit/keys").bodyAsJsonObject().getJsonArray("keys").getJsonObject(0),
        key -> key.getLong("checkpoints", 0L) > 0 || createdAccountForCheckpoint());
    assertThat(served.getString("kid")).isEqualTo(configured.getString("kid"));
    assertThat(served.getBoolean("signing")).isTrue();
    assertThat(served.getString("firstCheckpointAt")).isNotNull();
    assertThat(served.getString("lastCheckpointAt")).isNotNull();
    assertThat(TestSql.number(node.pgUrl(), "SELECT count(*) FROM audit_checkpoints WHERE tenant = 'acme' AND kid = ?",
        configured.getString("kid"))).isGreaterThanOrEqualTo(served.getLong("checkpoints"));
    assertThat(http.get(AUDITOR, "/v1/audit/keys").bodyAsJsonObject().getJsonArray("unknownKeys"))
        .as("every key that signed acme's checkpoints is known").isEmpty();
  }

  /** Records for a checkpoint (every 5 records): opened accounts; false, so that the wait goes on. */
  private static boolean createdAccountForCheckpoint() {
    http.openAccount("acme-teller", new JsonObject().put("currency", "USD"));
    return false;
  }

  @Test
  void aBadClientSecretIsAuditedOncePerSecondInTheClientsTenant() {
    long started = System.currentTimeMillis();
    for (int i = 0; i < 12; i++) {
      int status = http.web().post("/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap()
          .add("grant_type", "client_credentials").add("client_id", "acme-teller").add("client_secret", "wrong"))
          .await().statusCode();
      assertThat(status).isEqualTo(401);
    }
    long seconds = (System.currentTimeMillis() - started) / 1000;
    List<JsonObject> failures = Eventually.until("12 failed attempts audited", AuditReads.DEADLINE,
        () -> authFailures(AUDITOR, "", "acme-teller"), found -> attempts(found) == 12);
    assertThat(attempts(failures)).isEqualTo(12);
    assertThat(failures.size()).as("at most one record per second of attempts").isLessThanOrEqualTo((int) seconds + 2);
    JsonObject first = failures.get(0);
    assertThat(first.getString("tenant")).isEqualTo("acme");
    assertThat(first.getString("actor")).isEqualTo("acme-teller");
    assertThat(first.getBoolean("success")).isFalse();
    assertThat(first.getString("origin")).isEqualTo("127.0.0.1");
    assertThat(first.getString("requestId")).isNotBlank();
  }

  @Test
  void unknownClientsAndBadTokensAreAuditedInTheSystemChain() {
    for (int i = 0; i < 3; i++) {
      http.web().post("/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap()
          .add("grant_type", "client_credentials").add("client_id", "mallory").add("client_secret", "guess"))
          .await();
    }
    // A client id made to forge a log line, and long: kept as 100 characters without line breaks.
    String forging = "eve\r\n2026-11-26 INFO forged " + "x".repeat(300);
    http.web().post("/oauth/token").sendForm(MultiMap.caseInsensitiveMultiMap()
        .add("grant_type", "client_credentials").add("client_id", forging).add("client_secret", "guess")).await();
    for (int i = 0; i < 2; i++) {
      int status = http.web().get("/v1/accounts").bearerTokenAuthentication("not-a-token").send().await().statusCode();
      assertThat(status).isEqualTo(401);
    }
    List<JsonObject> failures = Eventually.until("6 failed attempts audited", AuditReads.DEADLINE,
        () -> authFailures("platform-operator", "&tenant=_system", null),
        found -> attempts(found) == 6);
    assertThat(attempts(failures)).isEqualTo(6);
    assertThat(failures).allMatch(r -> r.getString("tenant").equals("_system") && r.getValue("actor") == null);
    assertThat(failures.stream().flatMap(r -> r.getJsonObject("data").getJsonArray("clientIds", new JsonArray())
        .stream())).contains("mallory", ("eve??2026-11-26 INFO forged " + "x".repeat(300)).substring(0, 100));
    assertThat(authFailures(AUDITOR, "", null)).noneMatch(r -> r.getJsonObject("data").containsKey("clientIds"));
  }

  private static List<JsonObject> authFailures(String reader, String query, String client) {
    return all(reader, query).stream().filter(r -> r.getString("action").equals("AUTH_FAILED"))
        .filter(r -> client == null || client.equals(r.getString("entityId"))).toList();
  }

  private static long attempts(List<JsonObject> records) {
    return records.stream().mapToLong(r -> r.getJsonObject("data").getLong("attempts")).sum();
  }

  @Test
  void aFullVerificationRunsInTheBackgroundAndIsFollowedWithItsProgress() {
    http.openAccount("globex-teller", new JsonObject().put("currency", "USD"));
    waitFor("globex-auditor", "", record -> record.getString("action").equals("ACCOUNT_OPENED"));
    assertThat(http.get("globex-auditor", "/v1/audit/full-verification").statusCode())
        .as("none started yet").isEqualTo(404);
    HttpResponse<Buffer> started = http.post("globex-auditor", "/v1/audit/full-verification", null);
    assertThat(started.statusCode()).as(started.bodyAsString()).isEqualTo(202);
    assertThat(started.bodyAsJsonObject().getString("status")).isIn("RUNNING", "DONE");
    JsonObject done = Eventually.until("the full verification done", AuditReads.DEADLINE,
        () -> http.get("globex-auditor", "/v1/audit/full-verification").bodyAsJsonObject(),
        job -> "DONE".equals(job.getString("status")));
    assertThat(done.getLong("id")).isEqualTo(started.bodyAsJsonObject().getLong("id"));
    assertThat(done.getDouble("progress")).isEqualTo(1.0);
    assertThat(done.getJsonObject("verdict").getBoolean("valid")).isTrue();
    assertThat(done.getLong("checked")).isEqualTo(done.getJsonObject("verdict").getLong("checked"));
    JsonObject verdict = http.get("globex-auditor", "/v1/audit/verify").bodyAsJsonObject();
    assertThat(verdict.getLong("recomputedFrom")).as("a short chain is recomputed whole").isEqualTo(1);
  }

  @Test
  void aSealedRecordsInclusionProofIsCheckedOfflineWithThePublishedKeysAlone() throws Exception {
    String account = http.openAccount("acme-teller", new JsonObject().put("currency", "USD")).getString("id");
    long seq = waitFor(AUDITOR, "&entityId=" + account, r -> true).getLong("seq");
    HttpResponse<Buffer> proof = Eventually.until("a checkpoint over record " + seq, AuditReads.DEADLINE,
        () -> http.get(AUDITOR, "/v1/audit/events/" + seq + "/proof"), answer -> answer.statusCode() != 409);
    assertThat(proof.statusCode()).as(proof.bodyAsString()).isEqualTo(200);
    assertThat(proof.bodyAsJsonObject().getJsonObject("record").getString("entityId")).isEqualTo(account);

    java.nio.file.Path keys = java.nio.file.Files.createTempFile("audit-keys", ".json");
    java.nio.file.Files.writeString(keys, http.get(AUDITOR, "/v1/audit/keys").bodyAsString());
    java.nio.file.Path saved = java.nio.file.Files.createTempFile("audit-proof", ".json");
    java.nio.file.Files.writeString(saved, proof.bodyAsString());
    JsonObject verdict = OfflineVerifier.verifyProof(saved, keys);
    assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
    assertThat(verdict.getLong("seq")).isEqualTo(seq);

    assertThat(http.get(AUDITOR, "/v1/audit/events/999999/proof").bodyAsJsonObject().getString("code"))
        .isEqualTo("NOT_FOUND");
    assertThat(http.get(AUDITOR, "/v1/audit/events/x1/proof").statusCode()).isEqualTo(400);
    assertThat(http.get(AUDITOR, "/v1/audit/events/0/proof").statusCode()).isEqualTo(400);
    assertThat(http.get("acme-teller", "/v1/audit/events/" + seq + "/proof").statusCode()).as("no audit:read")
        .isEqualTo(403);
    HttpResponse<Buffer> ofGlobex = http.get("globex-auditor", "/v1/audit/events/" + seq + "/proof");
    assertThat(ofGlobex.bodyAsString()).as("globex's own chain, never acme's record").doesNotContain(account);
  }
}
