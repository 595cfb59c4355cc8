package fincloud.hostile;

import static fincloud.hostile.HostileJson.pick;
import static fincloud.hostile.HostileJson.utf8;
import static fincloud.hostile.HostileRequests.OPERATIONAL;
import static fincloud.hostile.HostileRequests.contentType;
import static fincloud.hostile.HostileRequests.enc;
import static fincloud.hostile.HostileRequests.framing;
import static fincloud.hostile.HostileRequests.headerValue;
import static fincloud.hostile.HostileRequests.junkPath;
import static fincloud.hostile.HostileRequests.kind;
import static fincloud.hostile.HostileRequests.method;
import static org.assertj.core.api.Assertions.assertThat;

import fincloud.gateway.ApiRoute;
import fincloud.gateway.Routes;
import fincloud.hostile.Fuzz.Attack;
import fincloud.shared.Page;
import fincloud.testkit.NodeExtension;
import fincloud.testkit.OwnNode;
import fincloud.testkit.TestClient;
import fincloud.testkit.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Property-based fuzzing of every route (those of {@link Routes#EVERY}, so routes added later are
 * attacked too, plus the token endpoint and the operational routes) over real HTTP: mutated and
 * random bodies, odd paths, ids, query parameters, methods and headers of every size. Each answer
 * must keep the {@link Contract}; after each property the books must be whole (no partial write).
 */
@ExtendWith(NodeExtension.class)
class RouteFuzzTest {

  static HostileNode node;
  static Fuzz fuzz;
  static ValidBodies acmeBodies;
  static String acmeAdmin;
  static String acmeTeller;
  static String globexAdmin;
  static List<String> forgedTokens;
  static List<String> knownIds;
  static List<ApiRoute> bodyRoutes;
  static HostileRequests requests;

  @OwnNode
  static TestNode start() {
    return HostileNode.start();
  }

  @BeforeAll
  static void seed(TestNode testNode, TestClient http) {
    node = HostileNode.seeded(testNode, http);
    fuzz = new Fuzz(node);
    acmeBodies = new ValidBodies(node.acmeUsd, "USD");
    acmeAdmin = node.token(HostileNode.ACME_ADMIN);
    acmeTeller = node.token(HostileNode.ACME_TELLER);
    globexAdmin = node.token(HostileNode.GLOBEX_ADMIN);
    forgedTokens = ForgedTokens.all(acmeAdmin);
    knownIds = new ArrayList<>(node.acmeUsd);
    knownIds.addAll(List.of(node.acmeEur, node.acmeHold, node.acmePosted, node.globexPosted));
    knownIds.addAll(node.globexUsd);
    requests = new HostileRequests(node, knownIds);
    bodyRoutes = Routes.ALL.stream().filter(r -> r.method() != HttpMethod.GET).toList();
  }

  @AfterEach
  void booksAreWhole() {
    node.assertBooksAreWhole();
  }

  // ------------------------------------------------------------------ properties

  /** Valid bodies of every writing route, mutated: fields dropped, doubled, renamed, mistyped, nested, cut. */
  @Test
  void mutatedBodies() {
    fuzz.run("mutatedBodies", Fuzz.tries(1200), random -> {
      ApiRoute route = pick(random, bodyRoutes);
      JsonObject valid = acmeBodies.of(route.schema(), random);
      boolean unmutated = random.nextInt(10) == 0;
      byte[] body = unmutated ? utf8(valid.encode()) : HostileJson.mutate(valid, random, knownIds);
      Caller caller = random.nextInt(10) < 8 ? new Caller(acmeAdmin, "acme")
          : random.nextBoolean() ? new Caller(acmeTeller, "acme") : new Caller(globexAdmin, "globex");
      RawHttp.Request request = RawHttp.Request.of(route.method().name(), requests.path(route, random, true))
          .header("Authorization", "Bearer " + caller.token())
          .header("Content-Type", random.nextInt(10) < 8 ? "application/json" : contentType(random))
          .body(body);
      if (route.idempotency() != ApiRoute.Idempotency.NONE && random.nextInt(10) < 9) {
        request = request.header("Idempotency-Key", UUID.randomUUID().toString());
      }
      return new Attack(unmutated ? "valid body" : "mutated body", request, Contract.Kind.API, caller.tenant(), false);
    });
  }

  /** Any method on any path, real or not, with odd ids, query parameters and sometimes a body. */
  @Test
  void randomRequests() {
    fuzz.run("randomRequests", Fuzz.tries(900), random -> {
      ApiRoute route = pick(random, Routes.EVERY);
      String method = random.nextInt(10) < 4 ? route.method().name() : method(random);
      String path = random.nextInt(10) < 8 ? requests.path(route, random, false) : junkPath(random);
      boolean malformed = path.contains(" ") || !path.startsWith("/");
      String target = random.nextInt(10) < 6 ? path + requests.query(random) : path;
      Caller caller = caller(random);
      RawHttp.Request request = RawHttp.Request.of(method, target);
      if (caller.token() != null) {
        request = request.header("Authorization", "Bearer " + caller.token());
      }
      if (random.nextInt(3) == 0) {
        request = request.header("Content-Type", random.nextBoolean() ? "application/json" : contentType(random))
            .body(random.nextBoolean() ? HostileJson.mutate(acmeBodies.of(route.schema(), random), random, knownIds)
                : HostileJson.wholeBody("{}", random));
      }
      if (random.nextBoolean()) {
        request = request.header("Idempotency-Key", UUID.randomUUID().toString());
      }
      return new Attack(method.equals(route.method().name()) ? "route method" : "other method", request,
          kind(path), caller.valid() ? caller.tenant() : null, malformed || method.equals("CONNECT"));
    });
  }

  /** Headers of every size and shape: keys, request ids, tokens, content types, floods of headers. */
  @Test
  void hostileHeaders() {
    fuzz.run("hostileHeaders", Fuzz.tries(500), random -> {
      ApiRoute route = pick(random, Routes.EVERY);
      RawHttp.Request request = RawHttp.Request.of(route.method().name(), requests.path(route, random, true));
      if (route.method() != HttpMethod.GET) {
        request = request.header("Content-Type", "application/json")
            .body(utf8(acmeBodies.of(route.schema(), random).encode()));
      }
      String label;
      boolean malformed = false;
      String token = acmeAdmin;
      switch (random.nextInt(8)) {
        case 0, 1 -> {
          label = "Idempotency-Key";
          request = request.header("Idempotency-Key", headerValue(random));
          if (random.nextInt(4) == 0) {
            request = request.header("Idempotency-Key", UUID.randomUUID().toString());
          }
        }
        case 2 -> {
          label = "X-Request-Id";
          request = request.header("X-Request-Id", headerValue(random));
        }
        case 3 -> {
          label = "Authorization";
          token = null;
          request = request.header("Authorization", pick(random, "", "Bearer", "Bearer ", "bearer " + acmeAdmin,
              "BEARER " + acmeAdmin, "Bearer  " + acmeAdmin + " ", "Basic " + acmeAdmin, acmeAdmin,
              "Bearer " + pick(random, forgedTokens), "Bearer " + headerValue(random),
              "Bearer " + acmeAdmin + "," + globexAdmin));
          if (random.nextInt(4) == 0) {
            request = request.header("Authorization", "Bearer " + globexAdmin);
          }
        }
        case 4 -> {
          label = "Content-Type";
          request = request.header("Content-Type", pick(random, contentType(random), headerValue(random)));
        }
        case 5 -> {
          label = "huge header";
          request = request.header("X-Junk", "x".repeat(pick(random, 1_000, 8_000, 16_000, 17_000, 40_000, 70_000)));
        }
        case 6 -> {
          label = "many headers";
          int count = pick(random, 10, 100, 400, 1_000, 3_000);
          for (int i = 0; i < count; i++) {
            request = request.header("X-H" + i, Integer.toString(i));
          }
        }
        default -> {
          label = "framing";
          malformed = true;
          // Values that never make a server wait for bytes that will not come (that is slowloris).
          request = framing(request.body() == null ? request.body(utf8("{}")) : request, random);
        }
      }
      if (token != null) {
        request = request.header("Authorization", "Bearer " + token);
      }
      if (route.idempotency() == ApiRoute.Idempotency.REQUIRED && request.header("Idempotency-Key") == null) {
        request = request.header("Idempotency-Key", UUID.randomUUID().toString());
      }
      return new Attack(label, request, Contract.Kind.API, token == null ? null : "acme", malformed);
    });
  }

  /** The token endpoint with odd grants, credentials, scopes, encodings and bodies. */
  @Test
  void tokenEndpoint() {
    fuzz.run("tokenEndpoint", Fuzz.tries(250), random -> {
      String client = random.nextInt(20) == 0 ? "acme-teller" : pick(random, "", "nobody", "acme", "ACME-TELLER",
          "acme-teller\u0000", "' OR 1=1 --", "x".repeat(5_000), "%00", "acme-teller ");
      String secret = random.nextBoolean() ? client + "-secret" : headerValue(random);
      String scope = pick(random, null, "", "accounts:read", "admin", "accounts:read admin", "   ", "a b c",
          "accounts:read\taccounts:write", "x".repeat(3_000));
      String grant = pick(random, "client_credentials", "client_credentials", "password", "", "CLIENT_CREDENTIALS",
          "client_credentials\u0000");
      RawHttp.Request request = RawHttp.Request.of(random.nextInt(10) == 0 ? method(random) : "POST", "/oauth/token");
      switch (random.nextInt(4)) {
        case 0 -> {
          StringBuilder form = new StringBuilder("grant_type=").append(enc(grant)).append("&client_id=").append(enc(client))
              .append("&client_secret=").append(enc(secret));
          if (scope != null) {
            form.append("&scope=").append(enc(scope));
          }
          if (random.nextInt(5) == 0) {
            form.append(pick(random, "&", "&&", "&grant_type=password", "&=", "&%ZZ=1", "&a", "%"));
          }
          request = request.header("Content-Type", "application/x-www-form-urlencoded").body(utf8(form.toString()));
        }
        case 1 -> {
          JsonObject json = new JsonObject().put("grant_type", grant).put("client_id", client).put("client_secret", secret);
          if (scope != null) {
            json.put("scope", scope);
          }
          request = request.header("Content-Type", "application/json")
              .body(random.nextBoolean() ? utf8(json.encode()) : HostileJson.mutate(json, random, knownIds));
        }
        case 2 -> request = request.header("Authorization", "Basic " + Base64.getEncoder()
                .encodeToString((client + ":" + secret).getBytes(StandardCharsets.UTF_8)))
            .header("Content-Type", "application/x-www-form-urlencoded").body(utf8("grant_type=" + enc(grant)));
        default -> request = request.header("Content-Type", contentType(random))
            .body(random.nextBoolean() ? HostileJson.wholeBody("{\"grant_type\":\"client_credentials\"}", random)
                : new byte[0]);
      }
      return new Attack("token request", request, Contract.Kind.TOKEN, null, false);
    });
  }

  /** Health, metrics and the OpenAPI document with any method, odd queries and bodies. */
  @Test
  void operationalRoutes() {
    fuzz.run("operationalRoutes", Fuzz.tries(150), random -> {
      String path = pick(random, OPERATIONAL);
      String method = random.nextBoolean() ? "GET" : method(random);
      RawHttp.Request request = RawHttp.Request.of(method, random.nextBoolean() ? path : path + requests.query(random));
      if (random.nextInt(3) == 0) {
        request = request.header("Content-Type", contentType(random)).body(HostileJson.wholeBody("{}", random));
      }
      if (random.nextBoolean()) {
        request = request.header("Authorization", "Bearer " + pick(random, forgedTokens));
      }
      return new Attack(method.equals("GET") ? "GET" : "other method", request,
          method.equals("GET") ? Contract.Kind.OPERATIONAL : Contract.Kind.API, null, method.equals("CONNECT"));
    });
  }

  // ------------------------------------------------------------------ found by fuzzing

  /** Attacks that once broke the contract, kept as plain examples so that every run tries them. */
  @Test
  void attacksThatOnceBrokeTheContract() {
    String auth = "Bearer " + acmeAdmin;
    String account = node.acmeUsd.get(0);
    List<String> wrong = new ArrayList<>();
    // U+0000 in a string made PostgreSQL fail (503); an unpaired surrogate was stored as '?'.
    expect(wrong, post("/v1/accounts", auth, "{\"currency\":\"USD\",\"ownerRef\":\"a\\u0000b\"}"), 400, "VALIDATION_FAILED");
    expect(wrong, post("/v1/accounts", auth, "{\"currency\":\"USD\",\"metadata\":{\"k\":\"\\u0000\"}}"), 400, "VALIDATION_FAILED");
    expect(wrong, post("/v1/accounts", auth, "{\"currency\":\"USD\",\"ownerRef\":\"a\\uD800b\"}"), 400, "VALIDATION_FAILED");
    expect(wrong, post("/v1/accounts", auth, "{\"currency\":\"USD\",\"metadata\":{\"\\uDC00\":1}}"), 400, "VALIDATION_FAILED");
    expect(wrong, post("/v1/accounts", auth, "{\"currency\":\"USD\",\"ownerRef\":\"\uD83D\uDE00\"}"), 201, null);
    // A GET claiming a form body made BodyHandler throw (503).
    expect(wrong, RawHttp.Request.of("GET", "/v1/ledger/trial-balance").header("Authorization", auth)
        .header("Content-Type", "multipart/form-data").body(utf8("{}")), 200, null);
    // A query string that is not percent-encoding threw (503); U+0000 in a query or path id reached PostgreSQL (503).
    expect(wrong, RawHttp.Request.of("GET", "/v1/accounts?cursor=%").header("Authorization", auth), 400, "VALIDATION_FAILED");
    expect(wrong, RawHttp.Request.of("GET", "/v1/transfers?accountId=%00").header("Authorization", auth), 400, "VALIDATION_FAILED");
    // ... and with a form body it threw where nothing answered: the request hung (seed 4277227363058070996)
    expect(wrong, RawHttp.Request.of("PUT", "/v1/risk/rules?cursor=%").header("Authorization", auth)
        .header("Content-Type", "application/x-www-form-urlencoded").body(utf8("a=1")), 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(wrong, RawHttp.Request.of("GET", "/v1/accounts/%00").header("Authorization", auth), 404, "NOT_FOUND");
    // A cursor of another list, or a number past 2^63, reached the entries query as a number (503).
    expect(wrong, RawHttp.Request.of("GET", "/v1/accounts/" + account + "/entries?cursor=" + Page.encodeCursor(account))
        .header("Authorization", auth), 400, "VALIDATION_FAILED");
    expect(wrong, RawHttp.Request.of("GET", "/v1/accounts/" + account + "/entries?cursor="
        + Page.encodeCursor("9999999999999999999")).header("Authorization", auth), 400, "VALIDATION_FAILED");
    expect(wrong, post("/v1/transfers/" + node.acmeHold + "%00/post", auth, "{}"), 404, "NOT_FOUND");
    // A request target that matches no route had no request id; malformed HTTP, an unknown
    // expectation and a half-formed h2c upgrade were answered bare (400/417) or not at all.
    expect(wrong, RawHttp.Request.of("OPTIONS", "*"), 404, "NOT_FOUND");
    expect(wrong, RawHttp.Request.of("GET", "/v1/accounts").header("Authorization", auth).header("X Bad Name", "1"),
        400, "VALIDATION_FAILED");
    expect(wrong, RawHttp.Request.of("GET", "/v1/accounts").header("Authorization", auth).header("X-Nul", "a\u0000b"),
        400, "VALIDATION_FAILED");
    expect(wrong, post("/v1/accounts/" + account + "/unfreeze", auth, "{}").header("Expect", "x"), 400, "VALIDATION_FAILED");
    expect(wrong, RawHttp.Request.of("GET", "/v1/accounts/" + account).header("Authorization", auth)
        .header("Upgrade", "h2c").header("Connection", "Upgrade"), 200, null);
    // /metrics is on the management listener only: the API port does not serve it
    expect(wrong, RawHttp.Request.of("GET", "/metrics"), 404, "NOT_FOUND");
    // A form or multipart body was dropped and the request done without it: a partial post became a whole one.
    JsonObject hold = HostileNode.created(node.http.post(HostileNode.ACME_TELLER, "/v1/transfers",
        HostileNode.transfer(account, node.acmeUsd.get(1), 50, "USD").put("mode", "PENDING"), HostileNode.key()));
    expect(wrong, RawHttp.Request.of("POST", "/v1/transfers/" + hold.getString("id") + "/post").header("Authorization", auth)
        .header("Content-Type", "multipart/form-data; boundary=x").body(utf8("{\"amount\":5}")), 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(wrong, RawHttp.Request.of("POST", "/v1/transfers/" + hold.getString("id") + "/post").header("Authorization", auth)
        .header("Content-Type", "application/x-www-form-urlencoded").body(utf8("amount=5")), 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(wrong, post("/v1/accounts", auth, "{\"currency\":\"USD\"}").replacing("Content-Type", "application/jsonx"),
        415, "UNSUPPORTED_MEDIA_TYPE");
    assertThat(wrong).isEmpty();
  }

  static RawHttp.Request post(String path, String authorization, String body) {
    return RawHttp.Request.of("POST", path).header("Authorization", authorization)
        .header("Content-Type", "application/json").body(utf8(body));
  }

  static void expect(List<String> wrong, RawHttp.Request request, int status, String code) {
    try {
      RawHttp.Response response = node.raw.send(request);
      List<String> broken = new ArrayList<>(Contract.violations(request, response, kind(request.target()),
          request.header("Authorization") == null ? null : "acme", node));
      if (response.status() != status || (code != null && !response.bodyText().contains("\"code\":\"" + code + "\""))) {
        broken.add("expected " + status + " " + code);
      }
      if (!broken.isEmpty()) {
        wrong.add(broken + "\n  " + request.describe() + "\n  -> " + response.describe());
      }
    } catch (RawHttp.NoAnswer none) {
      wrong.add(none.getMessage() + "\n  " + request.describe());
    }
  }

  // ------------------------------------------------------------------ callers

  record Caller(String token, String tenant) {
    boolean valid() {
      return tenant != null;
    }
  }

  static Caller caller(Random random) {
    return switch (random.nextInt(10)) {
      case 0, 1, 2, 3, 4 -> new Caller(acmeAdmin, "acme");
      case 5 -> new Caller(acmeTeller, "acme");
      case 6 -> new Caller(globexAdmin, "globex");
      case 7 -> new Caller(null, null);
      default -> new Caller(pick(random, forgedTokens), null);
    };
  }
}
