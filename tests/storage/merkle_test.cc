// The RFC 9162 tree of storage/merkle.h: the published Certificate
// Transparency vectors, then every proof of every tree size up to
// kExhaustiveSize checked against a recomputation written here straight from
// the RFC's recursive definitions over the full leaf list (no stored nodes,
// no frontier), and every altered proof refused.
#include "storage/merkle.h"

#include <bit>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace alliance::storage {
namespace {

// Every inclusion proof of every leaf and every consistency proof of every
// pair of sizes up to here: a few hundred covers every shape of the
// recursion several levels deep.
constexpr uint64_t kExhaustiveSize = 300;

MerkleHash Hex(absl::string_view hex) {
  std::optional<MerkleHash> hash = HashFromBytes(absl::HexStringToBytes(hex));
  EXPECT_TRUE(hash.has_value()) << hex;
  return hash.value_or(MerkleHash{});
}

// The leaves of the CT reference tree (transparency-dev/merkle testonly).
std::vector<std::string> ReferenceLeaves() {
  std::vector<std::string> leaves;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    leaves.push_back(absl::HexStringToBytes(hex));
  }
  return leaves;
}

// ---- The RFC's definitions, over the whole leaf list ----

uint64_t K(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH, PATH and SUBPROOF of RFC 9162 §2.1 over the leaf hashes `d`, MTH
// memoised (the proofs ask for the same subtrees many times).
class Rfc {
 public:
  explicit Rfc(const std::vector<MerkleHash>& d) : d_(d) {}

  MerkleHash Mth(uint64_t begin, uint64_t end) {
    if (end == begin) return EmptyTreeRoot();
    if (end - begin == 1) return d_[begin];
    auto [it, inserted] = memo_.try_emplace({begin, end});
    if (inserted) {
      const uint64_t k = K(end - begin);
      it->second = NodeHash(Mth(begin, begin + k), Mth(begin + k, end));
    }
    return it->second;
  }

  std::vector<MerkleHash> Path(uint64_t m, uint64_t begin, uint64_t end) {
    const uint64_t n = end - begin;
    if (n == 1) return {};
    const uint64_t k = K(n);
    std::vector<MerkleHash> path;
    if (m < k) {
      path = Path(m, begin, begin + k);
      path.push_back(Mth(begin + k, end));
    } else {
      path = Path(m - k, begin + k, end);
      path.push_back(Mth(begin, begin + k));
    }
    return path;
  }

  std::vector<MerkleHash> Subproof(uint64_t m, uint64_t begin, uint64_t end, bool b) {
    const uint64_t n = end - begin;
    if (m == n) {
      if (b) return {};
      return {Mth(begin, end)};
    }
    const uint64_t k = K(n);
    std::vector<MerkleHash> proof;
    if (m <= k) {
      proof = Subproof(m, begin, begin + k, b);
      proof.push_back(Mth(begin + k, end));
    } else {
      proof = Subproof(m - k, begin + k, end, false);
      proof.push_back(Mth(begin, begin + k));
    }
    return proof;
  }

 private:
  const std::vector<MerkleHash>& d_;
  std::map<std::pair<uint64_t, uint64_t>, MerkleHash> memo_;
};

// ---- A tree stored as a writer stores it: the nodes the frontier emits ----

struct StoredTree {
  std::map<std::pair<int, uint64_t>, MerkleHash> nodes;
  MerkleFrontier frontier;
  std::vector<MerkleHash> leaves;
  std::vector<MerkleHash> roots;  // roots[n]: the frontier's root at size n

  StoredTree() { roots.push_back(frontier.Root()); }

  void Append(const MerkleHash& leaf) {
    leaves.push_back(leaf);
    frontier.Append(leaf, [&](MerkleNodeId id, const MerkleHash& hash) {
      const bool inserted = nodes.emplace(std::pair(id.level, id.index), hash).second;
      EXPECT_TRUE(inserted) << "node " << id.level << "/" << id.index << " emitted twice";
    });
    roots.push_back(frontier.Root());
  }

  // Reads only nodes of complete subtrees within `size`: a proof for a
  // smaller tree must not need a later node.
  auto Reader(uint64_t size) {
    return [this, size](MerkleNodeId id) -> absl::StatusOr<MerkleHash> {
      if (((id.index + 1) << id.level) > size) {
        return absl::OutOfRangeError("a node beyond the tree asked for");
      }
      auto it = nodes.find({id.level, id.index});
      if (it == nodes.end()) return absl::NotFoundError("a node never stored");
      return it->second;
    };
  }
};

StoredTree TreeOf(uint64_t size) {
  StoredTree tree;
  for (uint64_t i = 0; i < size; ++i) tree.Append(LeafHash(absl::StrCat("event ", i)));
  return tree;
}

TEST(MerkleHashes, MatchTheCertificateTransparencyReferenceRoots) {
  const char* roots[] = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  StoredTree tree;
  for (const std::string& leaf : ReferenceLeaves()) tree.Append(LeafHash(leaf));
  for (uint64_t size = 0; size <= 8; ++size) {
    EXPECT_EQ(HashHex(tree.roots[size]), roots[size]) << "size " << size;
    absl::StatusOr<MerkleHash> stored = RootAt(size, tree.Reader(size));
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(HashHex(*stored), roots[size]) << "size " << size;
  }
}

TEST(MerkleHashes, MatchTheReferenceProofs) {
  StoredTree tree;
  for (const std::string& leaf : ReferenceLeaves()) tree.Append(LeafHash(leaf));
  absl::StatusOr<std::vector<MerkleHash>> path = InclusionPath(5, 8, tree.Reader(8));
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, (std::vector<MerkleHash>{
                       Hex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                       Hex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                       Hex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}));
  absl::StatusOr<std::vector<MerkleHash>> consistency = ConsistencyPath(2, 8, tree.Reader(8));
  ASSERT_TRUE(consistency.ok()) << consistency.status();
  EXPECT_EQ(*consistency,
            (std::vector<MerkleHash>{
                Hex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                Hex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}));
}

TEST(MerkleFrontier, StoresEveryCompleteSubtreeOnceAndLoadsFromThem) {
  StoredTree tree = TreeOf(kExhaustiveSize);
  // 2n - popcount(n) complete subtrees in a tree of n leaves.
  EXPECT_EQ(tree.nodes.size(), 2 * kExhaustiveSize - std::popcount(kExhaustiveSize));
  Rfc rfc(tree.leaves);
  for (uint64_t size = 0; size <= kExhaustiveSize; ++size) {
    EXPECT_EQ(HashHex(tree.roots[size]), HashHex(rfc.Mth(0, size))) << "size " << size;
    absl::StatusOr<MerkleFrontier> loaded = MerkleFrontier::Load(size, tree.Reader(size));
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->Root(), tree.roots[size]) << "size " << size;
  }
  // A frontier loaded mid-way appends as the original did.
  absl::StatusOr<MerkleFrontier> resumed = MerkleFrontier::Load(77, tree.Reader(77));
  ASSERT_TRUE(resumed.ok());
  for (uint64_t i = 77; i < 200; ++i) resumed->Append(tree.leaves[i], [](auto, const auto&) {});
  EXPECT_EQ(resumed->Root(), tree.roots[200]);
}

TEST(MerkleProofs, EveryInclusionProofEqualsTheRfcsAndVerifies) {
  StoredTree tree = TreeOf(kExhaustiveSize);
  Rfc rfc(tree.leaves);
  for (uint64_t size = 1; size <= kExhaustiveSize; ++size) {
    const MerkleHash root = tree.roots[size];
    for (uint64_t leaf = 0; leaf < size; ++leaf) {
      absl::StatusOr<std::vector<MerkleHash>> path = InclusionPath(leaf, size, tree.Reader(size));
      ASSERT_TRUE(path.ok()) << path.status();
      ASSERT_EQ(*path, rfc.Path(leaf, 0, size)) << leaf << " in " << size;
      ASSERT_TRUE(VerifyInclusion(tree.leaves[leaf], leaf, size, *path, root).ok())
          << leaf << " in " << size;
    }
  }
}

TEST(MerkleProofs, EveryConsistencyProofEqualsTheRfcsAndVerifies) {
  StoredTree tree = TreeOf(kExhaustiveSize);
  Rfc rfc(tree.leaves);
  for (uint64_t second = 0; second <= kExhaustiveSize; ++second) {
    for (uint64_t first = 0; first <= second; ++first) {
      absl::StatusOr<std::vector<MerkleHash>> path =
          ConsistencyPath(first, second, tree.Reader(second));
      ASSERT_TRUE(path.ok()) << path.status();
      const std::vector<MerkleHash> expected = first == 0 || first == second
                                                   ? std::vector<MerkleHash>{}
                                                   : rfc.Subproof(first, 0, second, true);
      ASSERT_EQ(*path, expected) << first << " -> " << second;
      ASSERT_TRUE(
          VerifyConsistency(first, second, tree.roots[first], tree.roots[second], *path).ok())
          << first << " -> " << second;
    }
  }
}

TEST(MerkleProofs, AnAlteredInclusionProofNeverVerifies) {
  StoredTree tree = TreeOf(kExhaustiveSize);
  for (uint64_t size = 1; size <= kExhaustiveSize; size += 7) {
    const MerkleHash root = tree.roots[size];
    for (uint64_t leaf = 0; leaf < size; leaf += 3) {
      std::vector<MerkleHash> path = *InclusionPath(leaf, size, tree.Reader(size));
      const MerkleHash& hash = tree.leaves[leaf];
      // Each hash of the path with one bit flipped.
      for (size_t i = 0; i < path.size(); ++i) {
        std::vector<MerkleHash> altered = path;
        altered[i][i % kMerkleHashBytes] ^= 1;
        EXPECT_FALSE(VerifyInclusion(hash, leaf, size, altered, root).ok());
      }
      // Another leaf, index, size or root; a hash dropped or added.
      if (size > 1) {
        EXPECT_FALSE(VerifyInclusion(tree.leaves[(leaf + 1) % size], leaf, size, path, root).ok());
        EXPECT_FALSE(VerifyInclusion(hash, (leaf + 1) % size, size, path, root).ok());
      }
      // A size of another depth. (A neighbouring size of the same shape
      // computes the same root: the proof binds a leaf to a root, and the
      // signed tree head binds the root to its size.)
      EXPECT_FALSE(VerifyInclusion(hash, leaf, size * 2, path, root).ok());
      EXPECT_FALSE(VerifyInclusion(hash, leaf, size, path, tree.roots[size - 1]).ok());
      EXPECT_FALSE(VerifyInclusion(hash, size, size, path, root).ok());
      if (!path.empty()) {
        std::vector<MerkleHash> shorter(path.begin(), path.end() - 1);
        EXPECT_FALSE(VerifyInclusion(hash, leaf, size, shorter, root).ok());
      }
      std::vector<MerkleHash> longer = path;
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(hash, leaf, size, longer, root).ok());
    }
  }
}

TEST(MerkleProofs, AnAlteredConsistencyProofNeverVerifies) {
  StoredTree tree = TreeOf(kExhaustiveSize);
  for (uint64_t second = 2; second <= kExhaustiveSize; second += 5) {
    for (uint64_t first = 1; first < second; first += 3) {
      std::vector<MerkleHash> path = *ConsistencyPath(first, second, tree.Reader(second));
      const MerkleHash& first_root = tree.roots[first];
      const MerkleHash& second_root = tree.roots[second];
      for (size_t i = 0; i < path.size(); ++i) {
        std::vector<MerkleHash> altered = path;
        altered[i][i % kMerkleHashBytes] ^= 1;
        EXPECT_FALSE(VerifyConsistency(first, second, first_root, second_root, altered).ok())
            << first << " -> " << second << " hash " << i;
      }
      // A first root the second tree does not extend (a rewritten history),
      // another second root, other sizes, a hash dropped.
      EXPECT_FALSE(VerifyConsistency(first, second, tree.roots[first - 1], second_root, path).ok());
      EXPECT_FALSE(VerifyConsistency(first, second, first_root, tree.roots[second - 1], path).ok());
      EXPECT_FALSE(VerifyConsistency(first, second * 2, first_root, second_root, path).ok());
      EXPECT_FALSE(VerifyConsistency(second, first, second_root, first_root, path).ok());
      std::vector<MerkleHash> shorter(path.begin(), path.end() - 1);
      EXPECT_FALSE(VerifyConsistency(first, second, first_root, second_root, shorter).ok());
    }
  }
  // Equal sizes: only an empty path and equal roots.
  EXPECT_TRUE(VerifyConsistency(5, 5, tree.roots[5], tree.roots[5], {}).ok());
  EXPECT_FALSE(VerifyConsistency(5, 5, tree.roots[5], tree.roots[6], {}).ok());
  EXPECT_FALSE(VerifyConsistency(5, 5, tree.roots[5], tree.roots[5], {tree.roots[5]}).ok());
}

TEST(MerkleProofs, RefuseSizesOutsideTheTree) {
  StoredTree tree = TreeOf(10);
  EXPECT_EQ(InclusionPath(10, 10, tree.Reader(10)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyPath(6, 5, tree.Reader(10)).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A node the store lacks is the store's error, passed on.
  EXPECT_EQ(RootAt(11, tree.Reader(11)).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace alliance::storage
