package fincloud.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The Merkle tree of one checkpoint window (the records after the previous checkpoint up to the
 * checkpoint, in seq order), hashed as RFC 9162 section 2.1 does: a leaf is
 * {@code SHA-256(0x00 || leaf data)}, an inner node {@code SHA-256(0x01 || left || right)}, and a
 * tree of n leaves splits at the largest power of two below n. The leaf data is the record's
 * stored hash (32 bytes): it already covers the record's canonical form and its place in the chain,
 * so whoever holds the record recomputes it, and building a window's tree needs no record but its
 * hash. No I/O.
 */
final class MerkleWindow {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte LEAF = 0x00;
  private static final byte NODE = 0x01;

  /** The leaf hashes, in seq order. */
  private final byte[][] leaves;

  /** @param recordHashes the window's record hashes (hex), in seq order */
  MerkleWindow(List<String> recordHashes) {
    if (recordHashes.isEmpty()) {
      throw new IllegalArgumentException("a checkpoint window holds at least one record");
    }
    leaves = new byte[recordHashes.size()][];
    MessageDigest sha = sha256();
    for (int i = 0; i < leaves.length; i++) {
      leaves[i] = leafHash(sha, recordHashes.get(i));
    }
  }

  /** The window's root (hex): what its checkpoint signs as {@code merkleRoot}. */
  String root() {
    return HEX.formatHex(subtree(sha256(), 0, leaves.length));
  }

  /** The audit path of leaf {@code index} (RFC 9162 2.1.3.1), from the leaf's sibling up, in hex. */
  List<String> path(int index) {
    if (index < 0 || index >= leaves.length) {
      throw new IllegalArgumentException("leaf " + index + " is not in a window of " + leaves.length);
    }
    List<String> path = new ArrayList<>();
    collectPath(sha256(), index, 0, leaves.length, path);
    return path;
  }

  /** The leaf hash of a record whose stored hash is {@code recordHash} (hex). */
  static String leafHash(String recordHash) {
    return HEX.formatHex(leafHash(sha256(), recordHash));
  }

  /**
   * Whether the audit path proves that the leaf is number {@code index} of a window of
   * {@code size} leaves whose root is {@code root} (RFC 9162 2.1.3.2). Any malformed input is
   * simply not a proof.
   */
  static boolean proves(String leafHashHex, long index, long size, List<String> path, String root) {
    try {
      if (index < 0 || index >= size) {
        return false;
      }
      MessageDigest sha = sha256();
      long fn = index;
      long sn = size - 1;
      byte[] r = HEX.parseHex(leafHashHex);
      for (String sibling : path) {
        if (sn == 0) {
          return false;
        }
        byte[] p = HEX.parseHex(sibling);
        if (p.length != 32) {
          return false;
        }
        if ((fn & 1) == 1 || fn == sn) {
          r = node(sha, p, r);
          while ((fn & 1) == 0 && fn != 0) {
            fn >>= 1;
            sn >>= 1;
          }
        } else {
          r = node(sha, r, p);
        }
        fn >>= 1;
        sn >>= 1;
      }
      return sn == 0 && HEX.formatHex(r).equals(root);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** MTH of leaves [from, to). */
  private byte[] subtree(MessageDigest sha, int from, int to) {
    if (to - from == 1) {
      return leaves[from];
    }
    int k = split(to - from);
    return node(sha, subtree(sha, from, from + k), subtree(sha, from + k, to));
  }

  /** PATH(index, D[from:to]): the deeper siblings first. */
  private void collectPath(MessageDigest sha, int index, int from, int to, List<String> path) {
    if (to - from == 1) {
      return;
    }
    int k = split(to - from);
    if (index < k) {
      collectPath(sha, index, from, from + k, path);
      path.add(HEX.formatHex(subtree(sha, from + k, to)));
    } else {
      collectPath(sha, index - k, from + k, to, path);
      path.add(HEX.formatHex(subtree(sha, from, from + k)));
    }
  }

  /** The largest power of two smaller than n (n at least 2). */
  private static int split(int n) {
    return Integer.highestOneBit(n - 1);
  }

  private static byte[] leafHash(MessageDigest sha, String recordHash) {
    byte[] data = HEX.parseHex(recordHash);
    sha.update(LEAF);
    return sha.digest(data);
  }

  private static byte[] node(MessageDigest sha, byte[] left, byte[] right) {
    sha.update(NODE);
    sha.update(left);
    return sha.digest(right);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
