package fincloud.node;

import fincloud.privacy.DataKeys;
import fincloud.privacy.KeyEncryptionKeys;
import fincloud.privacy.PrivacySettings;
import fincloud.shared.KeyFile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node's key-encryption keys come from, installed before its roles start: the
 * configuration ({@code privacy.keys}) or a given key file (which every node of a cluster must
 * share), else the data folder's key file, generated on the first start. In a demo cluster the
 * members agree like they do on the caller key ({@link CallerKeyAgreement}): the first member's
 * set goes into the cluster's shared map, the others adopt its active key (keeping their own for
 * what they wrapped before) and write the union back to their key file, so that it survives a
 * restart. Also registers the node's consumer of erasures, which drops erased keys from memory.
 */
final class KekAgreement {
  private static final Logger LOG = LoggerFactory.getLogger(KekAgreement.class);
  static final String DEMO_MAP = "fincloud.demo.keks";
  private static final String ENTRY = "current";

  private KekAgreement() {
  }

  static Future<Void> install(Vertx vertx, NodeConfig config) {
    PrivacySettings settings = config.privacy();
    return vertx.executeBlocking(() -> load(settings))
        .compose(mine -> vertx.isClustered() && !settings.configured() ? agree(vertx, settings, mine)
            : Future.succeededFuture(mine))
        .compose(keks -> {
          KeyEncryptionKeys.install(vertx, keks);
          return vertx.eventBus().<String>consumer(DataKeys.ERASED_ADDRESS,
              message -> DataKeys.forgetHere(vertx, message.body())).completion();
        });
  }

  /** Blocking: file I/O. */
  private static KeyEncryptionKeys load(PrivacySettings settings) {
    if (settings.keys() != null) {
      return KeyEncryptionKeys.parse(settings.keys(), "privacy.keys");
    }
    String text = settings.keyFileGiven() ? KeyFile.read(settings.keyFile(), "privacy.keyFile")
        : KeyFile.readOrCreate(settings.keyFile(), KeyEncryptionKeys::generateText);
    return KeyEncryptionKeys.parse(text, settings.keyFile().toString());
  }

  private static Future<KeyEncryptionKeys> agree(Vertx vertx, PrivacySettings settings, KeyEncryptionKeys mine) {
    return vertx.sharedData().<String, String>getAsyncMap(DEMO_MAP)
        .compose(map -> map.putIfAbsent(ENTRY, mine.toText()))
        .compose(theirs -> {
          if (theirs == null) {
            LOG.warn("demo cluster: this node's key-encryption keys are the cluster's (kept in its shared map)");
            return Future.succeededFuture(mine);
          }
          KeyEncryptionKeys agreed = mine.adopting(KeyEncryptionKeys.parse(theirs, "the demo cluster's keys"));
          LOG.warn("demo cluster: adopted the cluster's key-encryption key {}", agreed.activeId());
          return vertx.executeBlocking(() -> {
            KeyFile.replace(settings.keyFile(), agreed.toText());
            return agreed;
          });
        });
  }
}
