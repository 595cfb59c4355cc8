package fincloud.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The seal binds the caller, the address and the body; a rotation accepts the previous key. */
class CallerSealTest {
  private final Vertx sender = Vertx.vertx();
  private final Vertx receiver = Vertx.vertx();
  private final JsonObject body = new JsonObject().put("body", new JsonObject().put("amount", 100));

  @AfterEach
  void close() {
    sender.close().await();
    receiver.close().await();
  }

  private MultiMap sealed(String tenant) {
    return CallerSeal.seal(sender, "fincloud.payments.create", body,
        new DeliveryOptions().addHeader("tenant", tenant).addHeader("scopes", "transfers:write"), 1_000).getHeaders();
  }

  @Test
  void aSealHoldsForItsCallerAddressAndBodyOnly() {
    byte[] key = Base64.getDecoder().decode(CallerKeys.generate());
    CallerKeys.install(sender, new CallerKeys(key, null));
    CallerKeys.install(receiver, new CallerKeys(key, null));
    MultiMap headers = sealed("acme");
    assertThat(CallerSeal.verify(receiver, "fincloud.payments.create", headers, body)).isTrue();
    assertThat(CallerSeal.verify(receiver, "fincloud.payments.void", headers, body)).isFalse();
    assertThat(CallerSeal.verify(receiver, "fincloud.payments.create", headers, body.copy().put("x", 1))).isFalse();
    assertThat(CallerSeal.verify(receiver, "fincloud.payments.create",
        MultiMap.caseInsensitiveMultiMap().addAll(headers).set("tenant", "globex"), body)).isFalse();
    assertThat(CallerSeal.verify(receiver, "fincloud.payments.create",
        MultiMap.caseInsensitiveMultiMap().addAll(headers).remove(CallerSeal.HEADER), body)).isFalse();
    String expired = "v1." + (System.currentTimeMillis() - 60_000) + "."
        + headers.get(CallerSeal.HEADER).split("\\.")[2];
    assertThat(CallerSeal.verify(receiver, "fincloud.payments.create",
        MultiMap.caseInsensitiveMultiMap().addAll(headers).set(CallerSeal.HEADER, expired), body)).isFalse();
  }

  @Test
  void duringARotationThePreviousKeyIsStillAccepted() {
    byte[] old = Base64.getDecoder().decode(CallerKeys.generate());
    byte[] fresh = Base64.getDecoder().decode(CallerKeys.generate());
    CallerKeys.install(sender, new CallerKeys(old, null));
    CallerKeys.install(receiver, new CallerKeys(fresh, old));
    assertThat(CallerSeal.verify(receiver, "fincloud.payments.create", sealed("acme"), body)).isTrue();
    CallerKeys.install(receiver, new CallerKeys(fresh, null));
    assertThat(CallerSeal.verify(receiver, "fincloud.payments.create", sealed("acme"), body)).isFalse();
  }
}
