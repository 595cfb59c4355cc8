package fincloud.risk;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The compare-and-set of velocity windows, against a shared map that answers late (as a
 * Hazelcast map across the network does), so that concurrent updates really interleave.
 */
@ExtendWith(VertxExtension.class)
class VelocityStoreTest {

  @Test
  void concurrentReservationsNeverExceedTheLimit(Vertx vertx) {
    AsyncMap<String, String> local = vertx.sharedData().<String, String>getLocalAsyncMap("velocity-test").await();
    VelocityStore store = new VelocityStore(new SlowMap(vertx, local));
    long now = System.currentTimeMillis();
    List<Future<Boolean>> attempts = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      // each from a context of its own, as requests arriving at different instances or nodes
      attempts.add(Future.<Boolean>future(promise ->
          vertx.runOnContext(v -> store.update("acme/acc_1", 60_000, current -> {
            VelocityWindow window = VelocityWindow.parse(current);
            if (window.count(60, now) >= 10) {
              return new VelocityStore.Change<>(null, false);
            }
            window.add(now, 1, 5);
            return new VelocityStore.Change<>(window.format(), true);
          }).onComplete(promise))));
    }
    Future.all(attempts).await();
    assertThat(attempts.stream().filter(Future::result).count()).isEqualTo(10);
    assertThat(VelocityWindow.parse(local.get("acme/acc_1").await()).count(60, now)).isEqualTo(10);
  }

  /** Delegates to a map, each answer a little late. */
  private record SlowMap(Vertx vertx, AsyncMap<String, String> map) implements AsyncMap<String, String> {
    private <T> Future<T> late(Supplier<Future<T>> operation) {
      Promise<T> answer = Promise.promise();
      vertx.setTimer(1 + ThreadLocalRandom.current().nextInt(3), id -> operation.get().onComplete(answer));
      return answer.future();
    }

    @Override
    public Future<String> get(String k) {
      return late(() -> map.get(k));
    }

    @Override
    public Future<Void> put(String k, String v) {
      return late(() -> map.put(k, v));
    }

    @Override
    public Future<Void> put(String k, String v, long ttl) {
      return late(() -> map.put(k, v, ttl));
    }

    @Override
    public Future<String> putIfAbsent(String k, String v) {
      return late(() -> map.putIfAbsent(k, v));
    }

    @Override
    public Future<String> putIfAbsent(String k, String v, long ttl) {
      return late(() -> map.putIfAbsent(k, v, ttl));
    }

    @Override
    public Future<String> remove(String k) {
      return late(() -> map.remove(k));
    }

    @Override
    public Future<Boolean> removeIfPresent(String k, String v) {
      return late(() -> map.removeIfPresent(k, v));
    }

    @Override
    public Future<String> replace(String k, String v) {
      return late(() -> map.replace(k, v));
    }

    /** Like Hazelcast's map: no compare-and-set with a time-to-live. */
    @Override
    public Future<Boolean> replaceIfPresent(String k, String oldValue, String newValue) {
      return late(() -> map.replaceIfPresent(k, oldValue, newValue));
    }

    @Override
    public Future<Void> clear() {
      return map.clear();
    }

    @Override
    public Future<Integer> size() {
      return map.size();
    }

    @Override
    public Future<Set<String>> keys() {
      return map.keys();
    }

    @Override
    public Future<List<String>> values() {
      return map.values();
    }

    @Override
    public Future<java.util.Map<String, String>> entries() {
      return map.entries();
    }
  }
}
