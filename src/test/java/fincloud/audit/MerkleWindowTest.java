package fincloud.audit;

import static org.assertj.core.api.Assertions.assertThat;

import fincloud.shared.CanonicalJson;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Merkle tree of a checkpoint window against RFC 9162 section 2.1: its root as the RFC defines
 * it (written out here independently), every leaf's audit path proving exactly that leaf at that
 * index, and nothing else.
 */
class MerkleWindowTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void theRootIsRfc9162sTreeHead() throws Exception {
    List<String> hashes = hashes(5);
    // MTH(d0..d4) = H(1 || H(1 || H(1 || l0 || l1) || H(1 || l2 || l3)) || l4), l = H(0 || d)
    byte[][] l = new byte[5][];
    for (int i = 0; i < 5; i++) {
      l[i] = sha(new byte[] {0}, HEX.parseHex(hashes.get(i)));
    }
    byte[] left = sha(new byte[] {1}, sha(new byte[] {1}, l[0], l[1]), sha(new byte[] {1}, l[2], l[3]));
    byte[] root = sha(new byte[] {1}, left, l[4]);
    assertThat(new MerkleWindow(hashes).root()).isEqualTo(HEX.formatHex(root));
    assertThat(new MerkleWindow(hashes.subList(0, 1)).root()).isEqualTo(HEX.formatHex(l[0]))
        .isEqualTo(MerkleWindow.leafHash(hashes.get(0)));
  }

  @Test
  void everyLeafOfEveryWindowSizeIsProvenAtItsIndexOnly() {
    for (int size = 1; size <= 40; size++) {
      List<String> hashes = hashes(size);
      MerkleWindow tree = new MerkleWindow(hashes);
      String root = tree.root();
      for (int index = 0; index < size; index++) {
        String leaf = MerkleWindow.leafHash(hashes.get(index));
        List<String> path = tree.path(index);
        assertThat(path.size()).as("path length, %d of %d", index, size)
            .isLessThanOrEqualTo(32 - Integer.numberOfLeadingZeros(size));
        assertThat(MerkleWindow.proves(leaf, index, size, path, root)).as("leaf %d of %d", index, size).isTrue();
        if (size > 1) {
          assertThat(MerkleWindow.proves(leaf, (index + 1) % size, size, path, root)).as("another index").isFalse();
          assertThat(MerkleWindow.proves(MerkleWindow.leafHash(hashes.get((index + 1) % size)), index, size, path,
              root)).as("another leaf").isFalse();
          List<String> bent = new ArrayList<>(path);
          bent.set(0, MerkleWindow.leafHash(hashes.get(index)));
          assertThat(MerkleWindow.proves(leaf, index, size, bent, root)).as("a changed sibling").isFalse();
          assertThat(MerkleWindow.proves(leaf, index, size, path.subList(0, path.size() - 1), root))
              .as("a shortened path").isFalse();
        }
      }
    }
  }

  @Test
  void malformedProofsProveNothing() {
    List<String> hashes = hashes(4);
    MerkleWindow tree = new MerkleWindow(hashes);
    String leaf = MerkleWindow.leafHash(hashes.get(1));
    assertThat(MerkleWindow.proves(leaf, -1, 4, tree.path(1), tree.root())).isFalse();
    assertThat(MerkleWindow.proves(leaf, 4, 4, tree.path(1), tree.root())).isFalse();
    assertThat(MerkleWindow.proves(leaf, 1, 4, List.of("zz", "00"), tree.root())).isFalse();
    assertThat(MerkleWindow.proves("not hex", 1, 4, tree.path(1), tree.root())).isFalse();
  }

  private static List<String> hashes(int n) {
    List<String> hashes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      hashes.add(CanonicalJson.sha256Hex("record " + i));
    }
    return hashes;
  }

  private static byte[] sha(byte[]... parts) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (byte[] part : parts) {
      sha.update(part);
    }
    return sha.digest();
  }
}
