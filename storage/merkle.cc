#include "storage/merkle.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <bit>
#include <cassert>
#include <cstring>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace alliance::storage {
namespace {

constexpr unsigned char kLeafPrefix = 0x00;
constexpr unsigned char kNodePrefix = 0x01;

// The largest power of two strictly below n (n >= 2): RFC 9162's split k.
uint64_t SplitPoint(uint64_t n) {
  assert(n >= 2);
  return std::bit_floor(n - 1);
}

// MTH of leaves [begin, end) of a tree built from 0, as the RFC's
// recursion reaches it: the left part of every split is a complete subtree
// starting at a multiple of its size, so it is a stored node.
absl::StatusOr<MerkleHash> RangeHash(uint64_t begin, uint64_t end, MerkleNodeReader read) {
  assert(begin < end);
  const uint64_t count = end - begin;
  if (std::has_single_bit(count) && begin % count == 0) {
    return read(MerkleNodeId{std::countr_zero(count), begin / count});
  }
  const uint64_t k = SplitPoint(count);
  absl::StatusOr<MerkleHash> left = RangeHash(begin, begin + k, read);
  if (!left.ok()) return left;
  absl::StatusOr<MerkleHash> right = RangeHash(begin + k, end, read);
  if (!right.ok()) return right;
  return NodeHash(*left, *right);
}

// PATH(m, D[begin:end]) of RFC 9162 §2.1.3.1, appended to *path deepest
// first.
absl::Status AppendInclusionPath(uint64_t m, uint64_t begin, uint64_t end, MerkleNodeReader read,
                                 std::vector<MerkleHash>* path) {
  const uint64_t n = end - begin;
  if (n == 1) return absl::OkStatus();
  const uint64_t k = SplitPoint(n);
  absl::Status status;
  absl::StatusOr<MerkleHash> sibling;
  if (m < k) {
    status = AppendInclusionPath(m, begin, begin + k, read, path);
    sibling = RangeHash(begin + k, end, read);
  } else {
    status = AppendInclusionPath(m - k, begin + k, end, read, path);
    sibling = RangeHash(begin, begin + k, read);
  }
  if (!status.ok()) return status;
  if (!sibling.ok()) return sibling.status();
  path->push_back(*sibling);
  return absl::OkStatus();
}

// SUBPROOF(m, D[begin:end], b) of RFC 9162 §2.1.4.1, appended to *proof.
absl::Status AppendSubproof(uint64_t m, uint64_t begin, uint64_t end, bool whole_first_tree,
                            MerkleNodeReader read, std::vector<MerkleHash>* proof) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (whole_first_tree) return absl::OkStatus();
    absl::StatusOr<MerkleHash> hash = RangeHash(begin, end, read);
    if (!hash.ok()) return hash.status();
    proof->push_back(*hash);
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(n);
  absl::Status status;
  absl::StatusOr<MerkleHash> sibling;
  if (m <= k) {
    status = AppendSubproof(m, begin, begin + k, whole_first_tree, read, proof);
    sibling = RangeHash(begin + k, end, read);
  } else {
    status = AppendSubproof(m - k, begin + k, end, false, read, proof);
    sibling = RangeHash(begin, begin + k, read);
  }
  if (!status.ok()) return status;
  if (!sibling.ok()) return sibling.status();
  proof->push_back(*sibling);
  return absl::OkStatus();
}

absl::Status ProofFails(absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("the proof does not verify: ", why));
}

// Right-shifts fn and sn together until fn's lowest bit is set or fn is 0
// (the RFC's step "right-shift both fn and sn equally").
void ShiftToSetBitOrZero(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

// SHA-256 of `prefix`, `first` and `second`, on one context a thread, reused: a
// leaf is hashed for every event appended and verified, a node about as
// often. The digest is fetched from OpenSSL's providers once: fetching it
// at every EVP_DigestInit_ex (what EVP_sha256() and the one-shot SHA256()
// do in OpenSSL 3) was 37 % of a verification's samples, the hashing itself
// 13 %.
MerkleHash Sha256(unsigned char prefix, absl::string_view first, absl::string_view second = {}) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                               &EVP_MD_CTX_free);
  MerkleHash hash;
  unsigned int length = 0;
  const bool ok = sha256 != nullptr && context != nullptr &&
                  EVP_DigestInit_ex2(context.get(), sha256, nullptr) &&
                  EVP_DigestUpdate(context.get(), &prefix, 1) &&
                  EVP_DigestUpdate(context.get(), first.data(), first.size()) &&
                  EVP_DigestUpdate(context.get(), second.data(), second.size()) &&
                  EVP_DigestFinal_ex(context.get(), hash.data(), &length);
  // SHA-256 fails only when OpenSSL cannot allocate: nothing to recover.
  assert(ok && length == kMerkleHashBytes);
  (void)ok;
  return hash;
}

absl::string_view View(const MerkleHash& hash) {
  return absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

}  // namespace

MerkleHash LeafHash(absl::string_view leaf_bytes) { return Sha256(kLeafPrefix, leaf_bytes); }

MerkleHash NodeHash(const MerkleHash& left, const MerkleHash& right) {
  return Sha256(kNodePrefix, View(left), View(right));
}

MerkleHash EmptyTreeRoot() {
  MerkleHash hash;
  SHA256(nullptr, 0, hash.data());
  return hash;
}

std::string HashBytes(const MerkleHash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

std::optional<MerkleHash> HashFromBytes(absl::string_view bytes) {
  if (bytes.size() != kMerkleHashBytes) return std::nullopt;
  MerkleHash hash;
  std::memcpy(hash.data(), bytes.data(), kMerkleHashBytes);
  return hash;
}

std::string HashHex(const MerkleHash& hash) { return absl::BytesToHexString(HashBytes(hash)); }

absl::StatusOr<MerkleFrontier> MerkleFrontier::Load(uint64_t size, MerkleNodeReader read) {
  MerkleFrontier frontier;
  frontier.size_ = size;
  for (int level = 0; level < kMerkleLevels; ++level) {
    if ((size >> level & 1) == 0) continue;
    absl::StatusOr<MerkleHash> node = read(MerkleNodeId{level, (size >> level) - 1});
    if (!node.ok()) return node.status();
    frontier.nodes_[level] = *node;
  }
  return frontier;
}

void MerkleFrontier::Append(const MerkleHash& leaf_hash,
                            absl::FunctionRef<void(MerkleNodeId, const MerkleHash&)> emit) {
  emit(MerkleNodeId{0, size_}, leaf_hash);
  const uint64_t new_size = size_ + 1;
  MerkleHash carry = leaf_hash;
  int level = 0;
  // Each set low bit of the old size is a subtree the new leaf completes.
  while ((size_ >> level & 1) != 0) {
    carry = NodeHash(nodes_[level], carry);
    ++level;
    emit(MerkleNodeId{level, (new_size >> level) - 1}, carry);
  }
  nodes_[level] = carry;
  size_ = new_size;
}

MerkleHash MerkleFrontier::Root() const {
  if (size_ == 0) return EmptyTreeRoot();
  std::optional<MerkleHash> root;
  // The lowest subtree is the rightmost: fold from it leftwards.
  for (int level = 0; level < kMerkleLevels; ++level) {
    if ((size_ >> level & 1) == 0) continue;
    root = root.has_value() ? NodeHash(nodes_[level], *root) : nodes_[level];
  }
  return *root;
}

absl::StatusOr<MerkleHash> RootAt(uint64_t tree_size, MerkleNodeReader read) {
  if (tree_size == 0) return EmptyTreeRoot();
  return RangeHash(0, tree_size, read);
}

absl::StatusOr<std::vector<MerkleHash>> InclusionPath(uint64_t leaf_index, uint64_t tree_size,
                                                      MerkleNodeReader read) {
  if (leaf_index >= tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf_index ", leaf_index, " is not in a tree of ", tree_size, " leaves"));
  }
  std::vector<MerkleHash> path;
  if (absl::Status s = AppendInclusionPath(leaf_index, 0, tree_size, read, &path); !s.ok()) {
    return s;
  }
  return path;
}

absl::StatusOr<std::vector<MerkleHash>> ConsistencyPath(uint64_t first, uint64_t second,
                                                        MerkleNodeReader read) {
  if (first > second) {
    return absl::InvalidArgumentError(
        absl::StrCat("first (", first, ") is larger than second (", second, ")"));
  }
  std::vector<MerkleHash> path;
  if (first == 0 || first == second) return path;
  if (absl::Status s = AppendSubproof(first, 0, second, true, read, &path); !s.ok()) return s;
  return path;
}

absl::Status VerifyInclusion(const MerkleHash& leaf_hash, uint64_t leaf_index, uint64_t tree_size,
                             const std::vector<MerkleHash>& path, const MerkleHash& root) {
  if (leaf_index >= tree_size) {
    return ProofFails(absl::StrCat("leaf ", leaf_index, " is not in a tree of ", tree_size));
  }
  uint64_t fn = leaf_index;
  uint64_t sn = tree_size - 1;
  MerkleHash r = leaf_hash;
  for (const MerkleHash& p : path) {
    if (sn == 0) return ProofFails("the inclusion path is longer than the tree is deep");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) ShiftToSetBitOrZero(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofFails("the inclusion path is shorter than the tree is deep");
  if (r != root) return ProofFails("the inclusion path leads to another root");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t first, uint64_t second, const MerkleHash& first_root,
                               const MerkleHash& second_root, const std::vector<MerkleHash>& path) {
  if (first > second) {
    return ProofFails(
        absl::StrCat("the first tree (", first, ") is larger than the second (", second, ")"));
  }
  if (first == second) {
    if (!path.empty()) return ProofFails("a proof between equal sizes must be empty");
    if (first_root != second_root) return ProofFails("two roots of the same size differ");
    return absl::OkStatus();
  }
  if (first == 0) {
    if (!path.empty()) return ProofFails("a proof from the empty tree must be empty");
    return absl::OkStatus();
  }
  if (path.empty()) return ProofFails("the consistency path is empty");
  std::vector<MerkleHash> nodes;
  nodes.reserve(path.size() + 1);
  // A first tree of a power-of-two size is a node of the second: its root
  // is where the path starts.
  if (std::has_single_bit(first)) nodes.push_back(first_root);
  nodes.insert(nodes.end(), path.begin(), path.end());
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  MerkleHash fr = nodes.front();
  MerkleHash sr = nodes.front();
  for (size_t i = 1; i < nodes.size(); ++i) {
    const MerkleHash& c = nodes[i];
    if (sn == 0) return ProofFails("the consistency path is longer than the tree is deep");
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) ShiftToSetBitOrZero(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofFails("the consistency path is shorter than the tree is deep");
  if (fr != first_root) return ProofFails("the path does not lead to the first root");
  if (sr != second_root) return ProofFails("the path does not lead to the second root");
  return absl::OkStatus();
}

}  // namespace alliance::storage
