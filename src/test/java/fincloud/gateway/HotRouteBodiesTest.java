package fincloud.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.hostile.HostileJson;
import fincloud.hostile.ValidBodies;
import fincloud.shared.ServiceException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * The hot routes' hand-written body checks ({@link HotRouteBodies}) refuse exactly what the schema
 * validator of {@code openapi.yaml} refuses, with the same code and field: on the hostile suite's
 * mutated bodies (seed {@code fincloud.fuzz.seed}) and on every field of a transfer set to values at
 * and past each bound of its schema, alone and in pairs, in a transfer and in a batch item.
 */
class HotRouteBodiesTest {
  private static final long SEED = Long.getLong("fincloud.fuzz.seed", 20261126L);
  private static final List<String> IDS = List.of("acc_" + "1".repeat(26), "acc_" + "2".repeat(26));
  private static final String MAX_AMOUNT = "9007199254740991";
  /** Raw JSON values, each at or past a bound of some TransferRequest field. */
  private static final List<String> VALUES = List.of("null", "true", "0", "-1", "1", "1.0", "1e3", "2", "\"1\"",
      MAX_AMOUNT, "9007199254740992", "604800", "604801", "4294967296", "[]", "{}", "{\"a\":[1,{}]}", "\"\"",
      "\"a\"", quoted("x".repeat(64)), quoted("x".repeat(65)), quoted("x".repeat(140)), quoted("x".repeat(141)),
      quoted("\\ud83d\\ude00".repeat(40)), quoted("\\ud83d\\ude00".repeat(70)), quoted("\\ud83d".repeat(64)),
      "\"USD\"", "\"usd\"", "\"USD\\n\"", "\"US\"", "\"XXX\"", "\"ABC\"", "\"IMMEDIATE\"", "\"PENDING\"",
      "\"immediate\"", "\"a\\u0000b\"");
  private static final List<String> FIELDS = List.of("debitAccountId", "creditAccountId", "amount", "currency",
      "mode", "expiresInSeconds", "reference", "metadata", "unknown");

  private final RequestSchemas schemas = new RequestSchemas(RequestSchemas.loadOpenApi());
  private int refused;

  @Test
  void mutatedBodiesOfTheHotRoutesGetTheSameAnswerWithAndWithoutTheShortcut() {
    ValidBodies bodies = new ValidBodies(IDS, "USD");
    int compared = 0;
    for (String schema : List.of(HotRouteBodies.TRANSFER, HotRouteBodies.BATCH, HotRouteBodies.POST_TRANSFER)) {
      for (int n = 0; n < 2000; n++) {
        Random random = new Random(SEED ^ schema.hashCode() * 0x9E3779B97F4A7C15L ^ n * 0xC2B2AE3D27D4EB4FL);
        JsonObject valid = bodies.of(schema, random);
        JsonObject body = parsed(n % 10 == 0 ? valid.encode().getBytes() : HostileJson.mutate(valid, random, IDS));
        if (body != null) {
          assertSameAnswer(schema, body);
          compared++;
        }
      }
    }
    assertThat(compared).isGreaterThan(2500);
    assertThat(refused).as("the corpus must hold refusals, not only clean bodies").isGreaterThan(500);
  }

  @Test
  void everyFieldAtAndPastItsBoundsGetsTheSameAnswer() {
    List<JsonObject> transfers = new ArrayList<>();
    for (String field : FIELDS) {
      transfers.add(without(field));
      for (String value : VALUES) {
        transfers.add(with(field, value));
        for (String other : FIELDS) {
          for (String otherValue : List.of("null", quoted("x".repeat(141)), "0")) {
            if (!other.equals(field)) {
              transfers.add(with(with(field, value), other, otherValue));
            }
          }
        }
      }
    }
    transfers.forEach(transfer -> {
      assertSameAnswer(HotRouteBodies.TRANSFER, transfer);
      assertSameAnswer(HotRouteBodies.BATCH, new JsonObject().put("transfers", new JsonArray().add(valid()).add(transfer)));
    });
    assertThat(refused).isGreaterThan(transfers.size());
  }

  @Test
  void batchesAtAndPastTheirBoundsGetTheSameAnswer() {
    JsonArray thousand = new JsonArray();
    for (int i = 0; i < 1000; i++) {
      thousand.add(valid());
    }
    List<Object> lists = List.of(new JsonArray(), new JsonArray().add(valid()), thousand,
        thousand.copy().add(valid()), new JsonArray().add(1), new JsonArray().add(new JsonArray()),
        new JsonArray().addNull(), "[]", new JsonObject());
    lists.forEach(list -> assertSameAnswer(HotRouteBodies.BATCH, new JsonObject().put("transfers", list)));
    assertSameAnswer(HotRouteBodies.BATCH, new JsonObject());
    assertSameAnswer(HotRouteBodies.BATCH, new JsonObject().put("transfers", new JsonArray().add(valid())).put("x", 1));
    List.of("{}", "{\"amount\":1}", "{\"amount\":0}", "{\"amount\":null}", "{\"amount\":1,\"x\":1}",
        "{\"amount\":\"1\"}").forEach(post -> assertSameAnswer(HotRouteBodies.POST_TRANSFER, new JsonObject(post)));
  }

  @Test
  void aCleanTransferSkipsTheSchemaAndAnyFaultIsNamedByIt() {
    assertThat(HotRouteBodies.clean(HotRouteBodies.TRANSFER, valid())).isTrue();
    assertThat(HotRouteBodies.clean(HotRouteBodies.TRANSFER, with("reference", quoted("x".repeat(141))))).isFalse();
    assertThat(answer(schemas::validate, HotRouteBodies.TRANSFER, with("reference", quoted("x".repeat(141)))))
        .startsWith("VALIDATION_FAILED reference: ");
  }

  /** When openapi.yaml changes a transfer's fields or bounds, this fails until the hand-written checks follow. */
  @Test
  void theHandWrittenChecksHaveTheFieldsAndBoundsOfOpenApi() {
    JsonObject components = RequestSchemas.loadOpenApi().getJsonObject("components").getJsonObject("schemas");
    JsonObject transfer = components.getJsonObject(HotRouteBodies.TRANSFER);
    JsonObject fields = transfer.getJsonObject("properties");
    assertThat(fields.fieldNames()).containsExactlyInAnyOrderElementsOf(FIELDS.subList(0, FIELDS.size() - 1));
    assertThat(transfer.getJsonArray("required").getList())
        .containsExactlyInAnyOrder("debitAccountId", "creditAccountId", "amount", "currency");
    for (String id : List.of("debitAccountId", "creditAccountId")) {
      assertThat(fields.getJsonObject(id).getInteger("minLength")).isEqualTo(1);
      assertThat(fields.getJsonObject(id).getInteger("maxLength")).isEqualTo(HotRouteBodies.MAX_ACCOUNT_ID_CHARS);
    }
    assertThat(fields.getJsonObject("reference").getInteger("maxLength")).isEqualTo(HotRouteBodies.MAX_REFERENCE_CHARS);
    assertThat(fields.getJsonObject("expiresInSeconds").getLong("minimum")).isEqualTo(1);
    assertThat(fields.getJsonObject("expiresInSeconds").getLong("maximum")).isEqualTo(HotRouteBodies.MAX_EXPIRES_IN_SECONDS);
    assertThat(fields.getJsonObject("mode").getJsonArray("enum").getList()).containsExactly("IMMEDIATE", "PENDING");
    assertThat(fields.getJsonObject("metadata").getString("type")).isEqualTo("object");
    JsonObject transfers = components.getJsonObject(HotRouteBodies.BATCH).getJsonObject("properties")
        .getJsonObject("transfers");
    assertThat(transfers.getInteger("minItems")).isEqualTo(1);
    assertThat(transfers.getInteger("maxItems")).isEqualTo(HotRouteBodies.MAX_BATCH_ITEMS);
    assertThat(components.getJsonObject(HotRouteBodies.POST_TRANSFER).getJsonObject("properties").fieldNames())
        .containsExactly("amount");
  }

  /** The valid bodies the hostile suite makes all take the shortcut: a field the checks do not know would not. */
  @Test
  void everyValidBodyOfTheHotRoutesTakesTheShortcut() {
    ValidBodies bodies = new ValidBodies(IDS, "USD");
    for (String schema : List.of(HotRouteBodies.TRANSFER, HotRouteBodies.BATCH, HotRouteBodies.POST_TRANSFER)) {
      for (int n = 0; n < 200; n++) {
        JsonObject body = bodies.of(schema, new Random(SEED + n));
        assertThat(HotRouteBodies.clean(schema, body)).as("%s %s", schema, body.encode()).isTrue();
      }
    }
  }

  private void assertSameAnswer(String schema, JsonObject body) {
    String expected = answer(schemas::validateWithoutShortcut, schema, body);
    assertThat(answer(schemas::validate, schema, body)).as("%s %s", schema, body.encode()).isEqualTo(expected);
    if (!expected.equals("accepted")) {
      refused++;
    }
  }

  private static String answer(BiConsumer<String, JsonObject> validator, String schema, JsonObject body) {
    try {
      validator.accept(schema, body.copy());
      return "accepted";
    } catch (ServiceException refusal) {
      JsonObject problem = refusal.toAnswer("req").body();
      return refusal.code() + " " + problem.getString("field") + (problem.containsKey("index") ? " " + problem.getValue("index") : "")
          + ": " + problem.getString("detail");
    }
  }

  private static JsonObject parsed(byte[] body) {
    try {
      return JsonBodies.parseObject(Buffer.buffer(body));
    } catch (ServiceException notJson) {
      return null;
    }
  }

  private static JsonObject valid() {
    return new JsonObject().put("debitAccountId", IDS.get(0)).put("creditAccountId", IDS.get(1)).put("amount", 100)
        .put("currency", "USD").put("mode", "IMMEDIATE").put("expiresInSeconds", 60).put("reference", "r")
        .put("metadata", new JsonObject().put("k", "v"));
  }

  private static JsonObject with(String field, String rawValue) {
    return with(valid(), field, rawValue);
  }

  private static JsonObject with(JsonObject transfer, String field, String rawValue) {
    return transfer.copy().put(field, new JsonObject("{\"v\":" + rawValue + "}").getValue("v"));
  }

  private static JsonObject without(String field) {
    JsonObject transfer = valid();
    transfer.remove(field);
    return transfer;
  }

  private static String quoted(String text) {
    return "\"" + text + "\"";
  }
}
