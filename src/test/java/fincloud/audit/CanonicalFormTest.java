package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.shared.CanonicalJson;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hash rule in openapi.yaml ("Audit hash canonical form") is the one the sealer and verifier use. */
class CanonicalFormTest {
  @Test
  void theDocumentedWorkedExampleHashesAsDocumented() throws IOException {
    String doc;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("openapi.yaml")) {
      doc = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String section = doc.substring(doc.indexOf("## Audit hash canonical form"));
    Matcher canonical = Pattern.compile("\\n\\s*(\\{\"action\".*})\\n").matcher(section);
    Matcher hash = Pattern.compile("canonical JSON\\) = `([0-9a-f]{64})`").matcher(section.replace("\n", " ")
        .replaceAll(" +", " "));
    assertThat(canonical.find()).as("the worked example's canonical JSON").isTrue();
    assertThat(hash.find()).as("the worked example's hash").isTrue();

    JsonObject fields = new JsonObject(canonical.group(1));
    ChainRecord record = new ChainRecord(fields.getLong("seq"), fields.getString("at"), fields.getString("tenant"),
        fields.getString("actor"), fields.getString("action"), fields.getString("entityType"),
        fields.getString("entityId"), fields.getBoolean("success"), fields.getString("origin"),
        fields.getJsonObject("data"), fields.getString("requestId"), ChainRecord.ZERO_HASH, null);
    assertThat(CanonicalJson.of(record.hashedFields())).isEqualTo(canonical.group(1));
    assertThat(record.computeHash()).isEqualTo(hash.group(1));
  }

  @Test
  void absentValuesAreWrittenAsNullAndTextAsJsonEscapesIt() {
    ChainRecord record = new ChainRecord(2, "2026-11-26T11:14:47.000001Z", "_system", null, "AUTH_FAILED", "client",
        null, false, null, new JsonObject().put("b", "\u001f/\u00e9\n").put("a", 1), null, ChainRecord.ZERO_HASH, null);
    assertThat(CanonicalJson.of(record.hashedFields())).isEqualTo("{\"action\":\"AUTH_FAILED\",\"actor\":null,"
        + "\"at\":\"2026-11-26T11:14:47.000001Z\",\"data\":{\"a\":1,\"b\":\"\\u001F/\u00e9\\n\"},\"entityId\":null,"
        + "\"entityType\":\"client\",\"origin\":null,\"requestId\":null,\"seq\":2,\"success\":false,"
        + "\"tenant\":\"_system\"}");
  }
}
