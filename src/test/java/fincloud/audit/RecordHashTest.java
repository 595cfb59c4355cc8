package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.shared.CanonicalJson;
import fincloud.shared.JacksonCanonicalForm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The record hash written straight into a buffer is the hash of the canonical form as Jackson
 * writes it ({@code JacksonCanonicalForm}, its UTF-8), for nulls, numbers of every kind, nested
 * data, text of every kind (the characters one by one: {@code CanonicalJsonTest}) and a tampered
 * {@code prevHash}: the hashing rule auditors recompute is unchanged.
 */
class RecordHashTest {
  @Test
  void randomRecordsHashAsTheCanonicalFormSays() {
    Random random = new Random(20261204);
    for (int i = 0; i < 5000; i++) {
      JsonObject data = new JsonObject().put(text(random), text(random)).put("amount", random.nextLong())
          .put("n", random.nextInt()).put("ok", random.nextBoolean()).putNull("none")
          .put("price", new BigDecimal("12.50")).put("ratio", random.nextDouble() * 1e12)
          .put("nested", new JsonObject().put("z", 1).put("a", new JsonArray().add(text(random)).addNull().add(2.5)))
          .put("list", new JsonArray().add(new JsonObject().put("k", text(random))));
      Object shaped = switch (i % 4) {
        case 0 -> data;
        case 1 -> new JsonArray().add(data).add("x");
        case 2 -> text(random);
        default -> null;
      };
      ChainRecord record = new ChainRecord(1 + random.nextInt(1_000_000), "2026-12-04T21:00:00.123456Z",
          text(random), i % 7 == 0 ? null : text(random), text(random), text(random), i % 5 == 0 ? null : text(random),
          random.nextBoolean(), text(random), shaped, text(random),
          i % 11 == 0 ? text(random) : CanonicalJson.sha256Hex("p" + i), null);
      String expected = CanonicalJson.sha256Hex(record.prevHash() + JacksonCanonicalForm.of(record.hashedFields()));
      assertThat(RecordHash.of(record)).as(record.toString()).isEqualTo(expected);
    }
  }

  private static String text(Random random) {
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(12);
    for (int i = 0; i < length; i++) {
      text.append(switch (random.nextInt(4)) {
        case 0 -> (char) random.nextInt(0x80);
        case 1 -> (char) random.nextInt(0x20);
        case 2 -> (char) random.nextInt(0x10000);
        default -> "\"\\/\u00e9\ud83d\ude00".charAt(random.nextInt(6));
      });
    }
    return text.toString();
  }
}
