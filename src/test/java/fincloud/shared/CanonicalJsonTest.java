package fincloud.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The canonical text written straight as UTF-8 is, byte for byte, the UTF-8 of the canonical form
 * built with Jackson ({@link JacksonCanonicalForm}): for every character (controls, quotes,
 * surrogates with and without their pair, non-ASCII), every kind of number, nulls, nesting, keys
 * that differ in case or only in a character beyond ASCII, and maps whose keys are not strings.
 */
class CanonicalJsonTest {
  @Test
  void everyCharacterIsWrittenAsJacksonWritesIt() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x3000; c++) {
      all.append(c);
    }
    all.append("\ud800 \udfff \ud83d\ude00 \u2028\u2029\uffff \udbff\udfff\ud800");
    assertSame(all.toString());
    for (char c = 0xD000; c != 0; c++) {
      assertSame(String.valueOf(c));
    }
  }

  @Test
  void randomValuesAreWrittenAsJacksonWritesThem() {
    Random random = new Random(20261205);
    for (int i = 0; i < 5000; i++) {
      JsonObject value = new JsonObject().put(text(random), text(random)).put("amount", random.nextLong())
          .put("n", random.nextInt()).put("ok", random.nextBoolean()).putNull("none")
          .put("price", new BigDecimal("12.50")).put("ratio", random.nextDouble() * 1e12)
          .put("big", new BigInteger("123456789012345678901234567890")).put("B", 1).put("\u00e9", 2).put("e", 3)
          .put("nested", new JsonObject().put("z", 1).put("a", new JsonArray().add(text(random)).addNull().add(2.5)))
          .put("list", new JsonArray().add(new JsonObject().put("k", text(random))).add(List.of(1, "x")));
      assertSame(value);
      assertSame(new JsonArray().add(value).add(text(random)));
    }
  }

  @Test
  void scalarsAndMapsWithKeysThatAreNotStrings() {
    Map<Object, Object> mixed = new LinkedHashMap<>();
    mixed.put(2, "two");
    mixed.put("1", "one");
    mixed.put(1, "one again");
    for (Object value : new Object[] {null, true, false, 0, -1L, Long.MIN_VALUE, 1.5, -0.0, 1.25f, "", "\"",
        new BigDecimal("1E+3"), mixed, Map.of(), List.of()}) {
      assertSame(value);
    }
  }

  private static void assertSame(Object value) {
    assertThat(CanonicalJson.of(value).getBytes(StandardCharsets.UTF_8)).as(String.valueOf(value))
        .isEqualTo(JacksonCanonicalForm.of(value).getBytes(StandardCharsets.UTF_8));
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
