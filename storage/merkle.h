// The Merkle tree of RFC 9162 (Certificate Transparency 2.0, §2.1) over the
// event log: its hashes, the right edge a writer keeps to append in
// O(log n), the proofs a server builds from stored complete subtrees, and
// the checks a client runs on them without trusting the server.
//
// The tree's leaves are the log's events in global order: leaf index =
// global_position - 1, leaf hash = SHA-256(0x00 || the event's stored
// bytes). A node is SHA-256(0x01 || left || right); the root of an empty
// tree is SHA-256 of nothing. A tree of n leaves splits at k, the largest
// power of two below n (RFC 9162 §2.1.1), so every tree is made of complete
// subtrees of 2^level leaves starting at a multiple of 2^level: those are
// the nodes a store keeps (MerkleNodeId), written once, when their last leaf
// is appended, and never changed.
//
// Pure functions of their inputs (SHA-256 from OpenSSL's libcrypto): no
// store, no program. The server builds proofs with them over the nodes
// EventLog stored; alliancectl checks those proofs with them. Thread-safe.
//
//   MerkleFrontier frontier;
//   frontier.Append(LeafHash(stored_bytes), [&](MerkleNodeId id, const MerkleHash& h) {
//     batch.Put(NodeKey(id), h);  // the leaf and every subtree it completes
//   });
//   MerkleHash root = frontier.Root();
#ifndef ALLIANCE_STORAGE_MERKLE_H_
#define ALLIANCE_STORAGE_MERKLE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace alliance::storage {

inline constexpr size_t kMerkleHashBytes = 32;  // SHA-256
using MerkleHash = std::array<unsigned char, kMerkleHashBytes>;

// A tree's levels: a leaf is level 0; a node of level L covers 2^L leaves.
// 64 levels hold any tree of a uint64_t size.
inline constexpr int kMerkleLevels = 64;

// SHA-256(0x00 || leaf_bytes): a leaf's hash (RFC 9162 §2.1.1).
MerkleHash LeafHash(absl::string_view leaf_bytes);
// SHA-256(0x01 || left || right): an interior node's hash.
MerkleHash NodeHash(const MerkleHash& left, const MerkleHash& right);
// SHA-256 of the empty string: the root of a tree of no leaves.
MerkleHash EmptyTreeRoot();

// The hash as the 32 bytes a proto `bytes` field carries, and back
// (nullopt for any other length).
std::string HashBytes(const MerkleHash& hash);
std::optional<MerkleHash> HashFromBytes(absl::string_view bytes);
// Lower-case hex, for messages and the CLI.
std::string HashHex(const MerkleHash& hash);

// A complete subtree: the 2^level leaves from index << level.
struct MerkleNodeId {
  int level = 0;
  uint64_t index = 0;
  bool operator==(const MerkleNodeId&) const = default;
};

// Reads a stored node. Every node of a complete subtree within the tree
// being proved must be readable; a missing one is the store's DATA_LOSS.
using MerkleNodeReader = absl::FunctionRef<absl::StatusOr<MerkleHash>(MerkleNodeId)>;

// The right edge of a tree: the roots of the complete subtrees a tree of
// size() leaves is made of (one per set bit of the size). Enough to append
// the next leaf and to compute the root without reading anything.
class MerkleFrontier {
 public:
  MerkleFrontier() = default;  // the empty tree

  // The frontier of the tree of `size` leaves, from its stored nodes
  // (at most 64 reads).
  static absl::StatusOr<MerkleFrontier> Load(uint64_t size, MerkleNodeReader read);

  uint64_t size() const { return size_; }

  // Appends a leaf. `emit` is called for the leaf (level 0) and then for
  // every node the leaf completes, lowest first: what a store writes.
  void Append(const MerkleHash& leaf_hash,
              absl::FunctionRef<void(MerkleNodeId, const MerkleHash&)> emit);

  // The root of the tree (RFC 9162's MTH); EmptyTreeRoot() when empty.
  MerkleHash Root() const;

 private:
  uint64_t size_ = 0;
  // nodes_[level] is the subtree of 2^level leaves on the right edge, valid
  // where bit `level` of size_ is set.
  std::array<MerkleHash, kMerkleLevels> nodes_{};
};

// The root of the tree of the first `tree_size` leaves, from stored nodes
// (O(log n) reads).
absl::StatusOr<MerkleHash> RootAt(uint64_t tree_size, MerkleNodeReader read);

// RFC 9162 §2.1.3.1: the inclusion path of leaf `leaf_index` in the tree of
// `tree_size` leaves. INVALID_ARGUMENT unless leaf_index < tree_size.
absl::StatusOr<std::vector<MerkleHash>> InclusionPath(uint64_t leaf_index, uint64_t tree_size,
                                                      MerkleNodeReader read);

// RFC 9162 §2.1.4.1: the consistency path from the tree of `first` leaves
// to the tree of `second`. Empty when first is 0 or equal to second.
// INVALID_ARGUMENT unless first <= second.
absl::StatusOr<std::vector<MerkleHash>> ConsistencyPath(uint64_t first, uint64_t second,
                                                        MerkleNodeReader read);

// RFC 9162 §2.1.3.2: OK when `path` proves that `leaf_hash` is leaf
// `leaf_index` of the tree of `tree_size` leaves whose root is `root`;
// otherwise FAILED_PRECONDITION saying what did not hold. For clients: it
// trusts nothing but its arguments.
absl::Status VerifyInclusion(const MerkleHash& leaf_hash, uint64_t leaf_index, uint64_t tree_size,
                             const std::vector<MerkleHash>& path, const MerkleHash& root);

// RFC 9162 §2.1.4.2: OK when `path` proves that the tree of `first` leaves
// with root `first_root` is a prefix of the tree of `second` leaves with root
// `second_root`; otherwise FAILED_PRECONDITION. first == second needs an
// empty path and equal roots; first == 0 an empty path.
absl::Status VerifyConsistency(uint64_t first, uint64_t second, const MerkleHash& first_root,
                               const MerkleHash& second_root, const std::vector<MerkleHash>& path);

}  // namespace alliance::storage

#endif  // ALLIANCE_STORAGE_MERKLE_H_
