#include "proto/audit/tree_head.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace alliance {
namespace {

constexpr size_t kEd25519SignatureBytes = 64;
constexpr size_t kRootHashBytes = 32;
constexpr int64_t kNanosPerMilli = 1'000'000;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

// The public half of `key` as a TreeHeadKey.
absl::StatusOr<v1::TreeHeadKey> PublicKeyOf(EVP_PKEY* key) {
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("the key is not an Ed25519 key");
  }
  unsigned char* der = nullptr;
  const int der_bytes = i2d_PUBKEY(key, &der);
  if (der_bytes <= 0) return absl::InternalError("encoding the public key failed");
  v1::TreeHeadKey out;
  out.set_public_key_der(std::string(reinterpret_cast<char*>(der), der_bytes));
  OPENSSL_free(der);
  Bio pem(BIO_new(BIO_s_mem()));
  if (pem == nullptr || PEM_write_bio_PUBKEY(pem.get(), key) != 1) {
    return absl::InternalError("writing the public key as PEM failed");
  }
  out.set_public_key_pem(BioContents(pem.get()));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(out.public_key_der().data()),
         out.public_key_der().size(), digest);
  out.set_key_id(absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest))));
  out.set_algorithm(std::string(kTreeHeadAlgorithm));
  return out;
}

absl::StatusOr<Pkey> GenerateKey() {
  EVP_PKEY* key = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free);
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    return absl::InternalError("generating an Ed25519 key failed");
  }
  return Pkey(key);
}

// Writes `key` as PEM to a new file at `path`, readable by its owner only.
absl::Status WriteNewKeyFile(const std::string& path, EVP_PKEY* key) {
  Bio pem(BIO_new(BIO_s_mem()));
  if (pem == nullptr ||
      PEM_write_bio_PrivateKey(pem.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError("writing the tree-head key as PEM failed");
  }
  const std::string contents = BioContents(pem.get());
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
  // O_EXCL: never overwrite a key another process created meanwhile.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
  if (fd < 0) return absl::FailedPreconditionError(absl::StrCat("cannot create ", path));
  const bool written =
      write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
      fsync(fd) == 0;
  close(fd);
  if (!written) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

struct TreeHeadSigner::Key {
  Pkey pkey;
};

std::string TreeHeadSignedBytes(uint64_t tree_size, int64_t timestamp_ms,
                                absl::string_view root_hash) {
  std::string bytes(kTreeHeadSignatureContext.data(), kTreeHeadSignatureContext.size());
  bytes.push_back('\0');
  PutBigEndian64(&bytes, tree_size);
  PutBigEndian64(&bytes, static_cast<uint64_t>(timestamp_ms));
  bytes.append(root_hash.data(), root_hash.size());
  return bytes;
}

TreeHeadSigner::TreeHeadSigner(std::unique_ptr<Key> key, v1::TreeHeadKey public_key)
    : private_key_(std::move(key)), key_(std::move(public_key)) {}

TreeHeadSigner::~TreeHeadSigner() = default;

absl::StatusOr<std::unique_ptr<TreeHeadSigner>> TreeHeadSigner::Load(const std::string& path,
                                                                     bool create_if_missing) {
  if (create_if_missing && !std::filesystem::exists(path)) {
    absl::StatusOr<Pkey> fresh = GenerateKey();
    if (!fresh.ok()) return fresh.status();
    absl::Status written = WriteNewKeyFile(path, fresh->get());
    // Another process may have created it first: load whichever is there.
    if (!written.ok() && !std::filesystem::exists(path)) return written;
  }
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the tree-head signing key ", path));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  const std::string pem = contents.str();
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (key == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " holds no PEM private key (create one with `openssl genpkey ",
                     "-algorithm ed25519 -out ", path, "`)"));
  }
  absl::StatusOr<v1::TreeHeadKey> public_key = PublicKeyOf(key.get());
  if (!public_key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", public_key.status().message()));
  }
  auto held = std::make_unique<Key>();
  held->pkey = std::move(key);
  return std::unique_ptr<TreeHeadSigner>(
      new TreeHeadSigner(std::move(held), *std::move(public_key)));
}

absl::StatusOr<v1::SignedTreeHead> TreeHeadSigner::Sign(uint64_t tree_size,
                                                        absl::string_view root_hash,
                                                        absl::Time now) const {
  if (root_hash.size() != kRootHashBytes) {
    return absl::InvalidArgumentError("a root hash is 32 bytes");
  }
  const int64_t timestamp_ms = absl::ToUnixMillis(now);
  const std::string message = TreeHeadSignedBytes(tree_size, timestamp_ms, root_hash);
  std::string signature(kEd25519SignatureBytes, '\0');
  size_t signature_bytes = signature.size();
  MdCtx ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, private_key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()),
                     &signature_bytes, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return absl::InternalError("signing the tree head failed");
  }
  signature.resize(signature_bytes);
  v1::SignedTreeHead head;
  head.set_tree_size(tree_size);
  head.set_root_hash(std::string(root_hash));
  head.mutable_timestamp()->set_seconds(timestamp_ms / 1000);
  head.mutable_timestamp()->set_nanos(static_cast<int32_t>(timestamp_ms % 1000 * kNanosPerMilli));
  head.set_signature(std::move(signature));
  head.set_key_id(key_.key_id());
  return head;
}

absl::StatusOr<v1::TreeHeadKey> TreeHeadKeyFromPem(absl::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (key == nullptr) return absl::InvalidArgumentError("not a PEM public key");
  return PublicKeyOf(key.get());
}

absl::Status VerifyTreeHead(const v1::SignedTreeHead& head, const v1::TreeHeadKey& key) {
  auto refused = [](absl::string_view why) {
    return absl::FailedPreconditionError(absl::StrCat("the tree head is not trusted: ", why));
  };
  if (head.key_id() != key.key_id()) {
    return refused(
        absl::StrCat("it names key ", head.key_id(), ", not the pinned key ", key.key_id()));
  }
  if (head.root_hash().size() != kRootHashBytes) return refused("its root is not 32 bytes");
  if (head.timestamp().nanos() % kNanosPerMilli != 0) {
    return refused("its timestamp is not whole milliseconds");
  }
  const auto* der = reinterpret_cast<const unsigned char*>(key.public_key_der().data());
  Pkey pkey(d2i_PUBKEY(nullptr, &der, static_cast<long>(key.public_key_der().size())));
  if (pkey == nullptr || EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return refused("the pinned key is not an Ed25519 public key");
  }
  const int64_t timestamp_ms =
      head.timestamp().seconds() * 1000 + head.timestamp().nanos() / kNanosPerMilli;
  const std::string message = TreeHeadSignedBytes(head.tree_size(), timestamp_ms, head.root_hash());
  MdCtx ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return absl::InternalError("setting up the signature check failed");
  }
  if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(head.signature().data()),
                       head.signature().size(),
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
    return refused("its signature does not verify with the pinned key");
  }
  return absl::OkStatus();
}

}  // namespace alliance
