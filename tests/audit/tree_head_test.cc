// Signed tree heads (proto/audit/tree_head.h): a head signed by the server's
// key verifies with its public key and with nothing else, and any change to
// what the signature covers is refused.
#include "proto/audit/tree_head.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/storage/temp_dir.h"

namespace alliance {
namespace {

const std::string kRoot(32, '\x42');

std::unique_ptr<TreeHeadSigner> NewSigner(const std::string& path) {
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> signer =
      TreeHeadSigner::Load(path, /*create_if_missing=*/true);
  EXPECT_TRUE(signer.ok()) << signer.status();
  return signer.ok() ? *std::move(signer) : nullptr;
}

TEST(TreeHead, TheSignedBytesAreTheDocumentedLayout) {
  const std::string bytes = TreeHeadSignedBytes(0x0102030405060708, 0x1112131415161718, kRoot);
  ASSERT_EQ(bytes.size(), 20u + 1 + 8 + 8 + 32);
  EXPECT_EQ(bytes.substr(0, 21), std::string("alliance.v1.TreeHead\0", 21));
  EXPECT_EQ(bytes.substr(21, 8), "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(bytes.substr(29, 8), "\x11\x12\x13\x14\x15\x16\x17\x18");
  EXPECT_EQ(bytes.substr(37), kRoot);
}

TEST(TreeHead, ASignedHeadVerifiesWithItsKeyOnly) {
  storage::TempDir dir;
  std::unique_ptr<TreeHeadSigner> signer = NewSigner(dir.Sub("keys/tree-head.pem"));
  ASSERT_NE(signer, nullptr);
  EXPECT_EQ(signer->key().algorithm(), "Ed25519");
  EXPECT_EQ(signer->key().key_id().size(), 64u);
  const absl::Time now = absl::FromUnixMillis(1'765'000'000'123);
  absl::StatusOr<v1::SignedTreeHead> head = signer->Sign(1234, kRoot, now);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->tree_size(), 1234u);
  EXPECT_EQ(head->timestamp().seconds(), 1'765'000'000);
  EXPECT_EQ(head->timestamp().nanos(), 123'000'000);
  EXPECT_TRUE(VerifyTreeHead(*head, signer->key()).ok());

  // Whatever the signature covers, changed, is refused.
  v1::SignedTreeHead altered = *head;
  altered.set_tree_size(1235);
  EXPECT_FALSE(VerifyTreeHead(altered, signer->key()).ok());
  altered = *head;
  altered.mutable_root_hash()->back() ^= 1;
  EXPECT_FALSE(VerifyTreeHead(altered, signer->key()).ok());
  altered = *head;
  altered.mutable_timestamp()->set_seconds(head->timestamp().seconds() + 1);
  EXPECT_FALSE(VerifyTreeHead(altered, signer->key()).ok());
  altered = *head;
  altered.mutable_signature()->front() ^= 1;
  EXPECT_FALSE(VerifyTreeHead(altered, signer->key()).ok());

  // Another key: refused, whether the head names it or not.
  std::unique_ptr<TreeHeadSigner> other = NewSigner(dir.Sub("other.pem"));
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other->key().key_id(), signer->key().key_id());
  absl::Status status = VerifyTreeHead(*head, other->key());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  altered = *head;
  altered.set_key_id(other->key().key_id());
  EXPECT_FALSE(VerifyTreeHead(altered, other->key()).ok());
  // A head the other key signed, presented as this server's.
  v1::SignedTreeHead forged = *other->Sign(1234, kRoot, now);
  forged.set_key_id(signer->key().key_id());
  EXPECT_FALSE(VerifyTreeHead(forged, signer->key()).ok());
}

TEST(TreeHead, TheKeyFileIsCreatedOnceOwnerOnlyAndLoadsAgain) {
  storage::TempDir dir;
  const std::string path = dir.Sub("tree-head.pem");
  std::unique_ptr<TreeHeadSigner> first = NewSigner(path);
  ASSERT_NE(first, nullptr);
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::unique_ptr<TreeHeadSigner> again = NewSigner(path);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->key().key_id(), first->key().key_id());
  // The PEM it serves reads back as the same key.
  absl::StatusOr<v1::TreeHeadKey> pinned = TreeHeadKeyFromPem(first->key().public_key_pem());
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_EQ(pinned->key_id(), first->key().key_id());
  EXPECT_EQ(pinned->public_key_der(), first->key().public_key_der());
}

TEST(TreeHead, AKeyFromTheOpensslToolLoadsAndAnythingElseIsRefused) {
  storage::TempDir dir;
  const std::string path = dir.Sub("openssl.pem");
  ASSERT_EQ(std::system(("openssl genpkey -algorithm ed25519 -out " + path).c_str()), 0);
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> loaded = TreeHeadSigner::Load(path, false);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(VerifyTreeHead(*(*loaded)->Sign(1, kRoot, absl::Now()), (*loaded)->key()).ok());

  const std::string garbage = dir.Sub("garbage.pem");
  std::ofstream(garbage) << "not a key\n";
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> refused = TreeHeadSigner::Load(garbage, true);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(TreeHeadSigner::Load(dir.Sub("missing.pem"), false).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const std::string rsa = dir.Sub("rsa.pem");
  ASSERT_EQ(std::system(("openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out " +
                         rsa + " 2>/dev/null")
                            .c_str()),
            0);
  EXPECT_EQ(TreeHeadSigner::Load(rsa, false).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(TreeHeadKeyFromPem("nonsense").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace alliance
