// Signed tree heads (alliance.v1.SignedTreeHead, proto/alliance/v1/audit.proto):
// the byte string a head's signature covers, the server's signing key and
// the check a client runs. Beside the API, like the error vocabulary,
// because the server signs with it and alliancectl verifies with it.
// Ed25519 (RFC 8032) from OpenSSL's libcrypto.
//
//   absl::StatusOr<std::unique_ptr<TreeHeadSigner>> signer =
//       TreeHeadSigner::Load("/var/lib/alliance/tree-head-key.pem", /*create_if_missing=*/true);
//   absl::StatusOr<v1::SignedTreeHead> head = (*signer)->Sign(size, root, absl::Now());
//   ... on the client, with the key it pinned:
//   absl::Status ok = VerifyTreeHead(*head, pinned_key);
#ifndef ALLIANCE_PROTO_AUDIT_TREE_HEAD_H_
#define ALLIANCE_PROTO_AUDIT_TREE_HEAD_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/audit.pb.h"

namespace alliance {

// What a head's signature covers, before the size: names the message so a
// signature over a tree head is never valid as any other.
inline constexpr absl::string_view kTreeHeadSignatureContext = "alliance.v1.TreeHead";
inline constexpr absl::string_view kTreeHeadAlgorithm = "Ed25519";

// The bytes a head's signature covers (audit.proto, SignedTreeHead):
// context || 0x00 || tree_size (8, BE) || timestamp_ms (8, BE) || root_hash.
std::string TreeHeadSignedBytes(uint64_t tree_size, int64_t timestamp_ms,
                                absl::string_view root_hash);

// The server's signing key. Thread-safe: Sign may be called concurrently.
class TreeHeadSigner {
 public:
  // Loads the Ed25519 private key (PEM, as `openssl genpkey -algorithm
  // ed25519` writes it) at `path`. With `create_if_missing`, a missing file
  // is created first with a new key, readable by its owner only.
  static absl::StatusOr<std::unique_ptr<TreeHeadSigner>> Load(const std::string& path,
                                                              bool create_if_missing);
  ~TreeHeadSigner();
  TreeHeadSigner(const TreeHeadSigner&) = delete;
  TreeHeadSigner& operator=(const TreeHeadSigner&) = delete;

  // The head of the tree of `tree_size` leaves with `root_hash` (32 bytes),
  // timestamped `now` (truncated to whole milliseconds), signed.
  absl::StatusOr<v1::SignedTreeHead> Sign(uint64_t tree_size, absl::string_view root_hash,
                                          absl::Time now) const;

  // The public half, as GetPublicKey answers it.
  const v1::TreeHeadKey& key() const { return key_; }

 private:
  struct Key;
  TreeHeadSigner(std::unique_ptr<Key> key, v1::TreeHeadKey public_key);
  std::unique_ptr<Key> private_key_;
  v1::TreeHeadKey key_;
};

// The key a PEM public key (`openssl pkey -pubout`) or a TreeHeadKey's
// public_key_pem is: its id and DER filled in. INVALID_ARGUMENT when it is
// not an Ed25519 public key.
absl::StatusOr<v1::TreeHeadKey> TreeHeadKeyFromPem(absl::string_view pem);

// OK when `head` is signed by `key` (and names its id); otherwise
// FAILED_PRECONDITION saying what did not hold. Trusts nothing else.
absl::Status VerifyTreeHead(const v1::SignedTreeHead& head, const v1::TreeHeadKey& key);

}  // namespace alliance

#endif  // ALLIANCE_PROTO_AUDIT_TREE_HEAD_H_
