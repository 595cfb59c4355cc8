package fincloud.hostile;

import static fincloud.hostile.HostileJson.pick;
import static fincloud.hostile.HostileJson.utf8;

import fincloud.gateway.ApiRoute;
import fincloud.shared.Page;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * The parts of hostile requests: paths with real, foreign and odd ids, junk paths, query
 * strings, methods, media types, header values of odd lengths and characters, framing tricks.
 */
final class HostileRequests {
  static final List<String> OPERATIONAL = List.of("/health/live", "/health/ready", "/metrics", "/openapi.yaml");
  static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
      "CONNECT", "get", "FOO", "PROPFIND", "M-SEARCH", "QUERY");

  private final HostileNode node;
  private final List<String> knownIds;

  /** @param knownIds ids of both tenants, to put where ids go */
  HostileRequests(HostileNode node, List<String> knownIds) {
    this.node = node;
    this.knownIds = knownIds;
  }

  /** The router matches a path with a trailing slash too, so /oauth/token/ is the token endpoint. */
  static Contract.Kind kind(String path) {
    if (path.startsWith("/oauth/token")) {
      return Contract.Kind.TOKEN;
    }
    return OPERATIONAL.stream().anyMatch(path::startsWith) ? Contract.Kind.OPERATIONAL : Contract.Kind.API;
  }

  static RawHttp.Request framing(RawHttp.Request request, Random random) {
    return switch (random.nextInt(9)) {
      case 0 -> {
        String encoding = pick(random, "chunked", "gzip", "chunked, identity", "identity", "x", "gzip, chunked");
        byte[] body = request.body();
        yield request.header("Transfer-Encoding", encoding).body(!encoding.contains("chunked") ? body
            : HostileJson.concat(utf8(Integer.toHexString(body.length) + "\r\n"), body, utf8("\r\n0\r\n\r\n")));
      }
      case 1 -> request.header("Content-Length", pick(random, "-1", "abc", "0", "1", " 2", "2,2", "99999999999999999999"));
      case 2 -> request.header("Expect", pick(random, "100-continue", "x", "100-continue, x"));
      case 3 -> request.header("Upgrade", pick(random, "h2c", "websocket", "x")).header("Connection", "Upgrade");
      case 4 -> request.header("Host", pick(random, "", "evil.example", "a b", "[::1", "127.0.0.1:99999"));
      case 5 -> request.header("Content-Encoding", pick(random, "gzip", "deflate", "br", "x"));
      case 6 -> request.header(pick(random, "X Bad Name", "X-\u00e9", "X:Y", "", "\tX-Tab"), "1");
      case 7 -> request.header("X-Folded", "a\r\n b");
      default -> request.header("X-Nul", "a\u0000b");
    };
  }

  /** The route's path with its {@code :id} replaced: mostly a real id, else another tenant's or an odd one. */
  String path(ApiRoute route, Random random, boolean mostlyReal) {
    if (route.path().contains(":seq")) {
      return route.path().replace(":seq", seq(random, mostlyReal));
    }
    if (!route.path().contains(":id")) {
      return route.path();
    }
    int roll = random.nextInt(10);
    String id;
    if (roll < (mostlyReal ? 8 : 4)) {
      id = route.path().startsWith("/v1/transfers") ? pick(random, node.acmeHold, node.acmePosted)
          : pick(random, node.acmeUsd);
    } else if (roll < (mostlyReal ? 9 : 6)) {
      id = pick(random, node.globexPosted, node.globexUsd.get(0));
    } else {
      id = oddId(random);
    }
    return route.path().replace(":id", id);
  }

  /** An audit seq: mostly one the chain has, else past its head, zero, too large, or not a number. */
  String seq(Random random, boolean mostlyReal) {
    if (random.nextInt(10) < (mostlyReal ? 8 : 4)) {
      return Integer.toString(1 + random.nextInt(5));
    }
    return switch (random.nextInt(5)) {
      case 0 -> "0";
      case 1 -> Long.toString(1_000_000L + random.nextInt(1000));
      case 2 -> "9007199254740992";
      case 3 -> "-1";
      default -> oddId(random);
    };
  }

  String oddId(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> randomAlnum(random, 1 + random.nextInt(80));
      case 1 -> {
        StringBuilder encoded = new StringBuilder();
        for (int i = random.nextInt(12); i >= 0; i--) {
          encoded.append(String.format("%%%02X", random.nextInt(256)));
        }
        yield encoded.toString();
      }
      default -> pick(random, "x", "acc_", "acc_00000000000000000000000000", "trf_ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
          "%00", "%2F", "%2f..%2f", "..", ".", "%2e%2e", "a%20b", "%ZZ", "%", "%e9", "%C3%A9", "%ED%A0%80",
          "%F0%9F%98%80", "%EF%BF%BF", "'--", "1;DROP", "*", "null", "-1", "1e9", "%3Cscript%3E", "a".repeat(200),
          "a".repeat(3_000), "b".repeat(9_000), ";jsessionid=1", "a?b", "a#b", "acc_%00", "~", "$", "@", "%u0041",
          "\u00e9", "\ud83d\ude00", "acc_01hzz", node.acmeUsd.get(0).toLowerCase(), node.acmeUsd.get(0) + "x",
          node.acmeUsd.get(0) + "/", node.acmeUsd.get(0) + "%00");
    };
  }

  static String junkPath(Random random) {
    return pick(random, "/", "/v1", "/v1/", "/v2/accounts", "/v1/accounts/", "/v1//accounts", "/v1/accounts/x/y/z",
        "/V1/ACCOUNTS", "/oauth/token/", "/health/live/x", "//", "/..", "/v1/accounts/../transfers",
        "/v1/./accounts", "/%76%31/accounts", "/v1/accounts%2Fx", "*", "http://127.0.0.1/v1/accounts",
        "/v1/accounts;x=1", "/v1/transfers/batch/x", "/v1/ledger", "/v1/ledger/trial-balance/",
        "/" + randomAlnum(random, 1 + random.nextInt(40)), "/v1/accounts\u00e9", "/v1/acc ounts", "/" + "a/".repeat(3_000),
        "/v1/risk/rules/x", "/v1/audit", "/v1/cluster", "/v1/cluster/x", "/.well-known/jwks.json", "/v1/accounts/%",
        "/v1/accounts?limit=1", "/\u0000");
  }

  String query(Random random) {
    List<String> params = new ArrayList<>();
    for (int i = 1 + random.nextInt(3); i > 0; i--) {
      params.add(switch (random.nextInt(4)) {
        case 0 -> "limit=" + pick(random, "", "0", "1", "1000", "1001", "-1", "1e3", "abc", "9999999999999999999999",
            "%20", "1.0", "01", "+1", "%00", "10000");
        case 1 -> "cursor=" + pick(random, Page.encodeCursor(pick(random, knownIds)), Page.encodeCursor("x"),
            Page.encodeCursor("'; DROP TABLE accounts; --"), Page.encodeCursor("12345678901234567890"), Page.encodeCursor("9999999999999999999"),
            Page.encodeCursor("1"), "", "=", "%", "%ZZ", "null", "A".repeat(5_000), "AAAA====", "+/+/", "_-_-",
            Page.encodeCursor(pick(random, knownIds)) + "=");
        case 2 -> "accountId=" + pick(random, pick(random, knownIds), oddId(random), "");
        default -> pick(random, "x=y", "limit=1&limit=2", "a[]=1", "&&&", "=", "%00=%00", "after=1", "after=-1",
            "entityId=" + pick(random, knownIds), "limit");
      });
    }
    return "?" + String.join("&", params);
  }

  static String method(Random random) {
    if (random.nextInt(8) == 0) {
      return randomUpper(random, 1 + random.nextInt(20));
    }
    return pick(random, METHODS);
  }

  static String contentType(Random random) {
    return pick(random, "application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
        "application/json;charset=latin1", "application/json;;;", "text/plain", "text/json",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "multipart/form-data",
        "application/problem+json", "application/json-patch+json", "application/xml", "*/*", "", ";",
        "application/jsonx", "application/" + "x".repeat(2_000));
  }

  /** Header values of odd lengths and characters (never CR or LF, which would end the header). */
  static String headerValue(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> randomAlnum(random, pick(random, 0, 1, 127, 128, 129, 1_000, 10_000));
      case 1 -> pick(random, "", " ", "\t", "a b", "a,b", "\"quoted\"", "key;with;semis", "ключ", "鍵", "\ud83d\ude00",
          "a\u0000b", "null", "../../x", "%00", "=", "a:b/c+d=e.f_g-h", "${jndi:ldap://x/a}", "\u00ff\u00fe");
      case 2 -> UUID.randomUUID() + "\u00e9";
      case 3 -> "k".repeat(128);
      case 4 -> {
        StringBuilder any = new StringBuilder();
        for (int i = random.nextInt(60); i >= 0; i--) {
          char c = (char) (0x20 + random.nextInt(0x5F));
          any.append(c);
        }
        yield any.toString();
      }
      default -> {
        StringBuilder any = new StringBuilder();
        for (int i = random.nextInt(40); i >= 0; i--) {
          int c = random.nextInt(0x3000);
          if (c != '\r' && c != '\n') {
            any.append((char) c);
          }
        }
        yield any.toString();
      }
    };
  }

  static String randomAlnum(Random random, int length) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return out.toString();
  }

  static String randomUpper(Random random, int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append((char) ('A' + random.nextInt(26)));
    }
    return out.toString();
  }

  static String enc(String text) {
    return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
  }
}
