#include "services/http/serving_certificate.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/whole_file.h"

namespace alliance {
ServingCertificate::ServingCertificate(std::string certificate_path, std::string key_path)
    : certificate_path_(std::move(certificate_path)), key_path_(std::move(key_path)) {}

ServingCertificate::~ServingCertificate() {
  absl::MutexLock lock(&mu_);
  Clear();
}

void ServingCertificate::Clear() {
  X509_free(leaf_);
  sk_X509_pop_free(chain_, X509_free);
  EVP_PKEY_free(key_);
  leaf_ = nullptr;
  chain_ = nullptr;
  key_ = nullptr;
}

absl::Status ServingCertificate::Refresh() {
  const absl::Time certificate_modified = ModificationTime(certificate_path_);
  const absl::Time key_modified = ModificationTime(key_path_);
  absl::MutexLock lock(&mu_);
  if (leaf_ != nullptr && certificate_modified == certificate_modified_ &&
      key_modified == key_modified_) {
    return absl::OkStatus();
  }
  absl::Status loaded = Load(certificate_modified, key_modified);
  if (!loaded.ok() && leaf_ != nullptr) {
    spdlog::warn("the JSON/HTTP face keeps its certificate: {}", std::string(loaded.message()));
    return absl::OkStatus();
  }
  return loaded;
}

absl::Status ServingCertificate::Load(absl::Time certificate_modified, absl::Time key_modified) {
  BIO* certificates = BIO_new_file(certificate_path_.c_str(), "r");
  BIO* key_file = BIO_new_file(key_path_.c_str(), "r");
  X509* leaf = certificates ? PEM_read_bio_X509(certificates, nullptr, nullptr, nullptr) : nullptr;
  STACK_OF(X509)* chain = sk_X509_new_null();
  while (leaf != nullptr && chain != nullptr) {
    X509* next = PEM_read_bio_X509(certificates, nullptr, nullptr, nullptr);
    if (next == nullptr) break;
    sk_X509_push(chain, next);
  }
  EVP_PKEY* key = key_file ? PEM_read_bio_PrivateKey(key_file, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(certificates);
  BIO_free(key_file);
  const bool usable = leaf != nullptr && key != nullptr && X509_check_private_key(leaf, key) == 1;
  if (!usable) {
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError(absl::StrCat("the certificate ", certificate_path_,
                                                   " and key ", key_path_,
                                                   " cannot be read, or do not belong together"));
  }
  Clear();
  leaf_ = leaf;
  chain_ = chain;
  key_ = key;
  certificate_modified_ = certificate_modified;
  key_modified_ = key_modified;
  return absl::OkStatus();
}

int ServingCertificate::CertCallback(SSL* ssl, void* arg) {
  auto* self = static_cast<ServingCertificate*>(arg);
  if (!self->Refresh().ok()) return 0;
  absl::MutexLock lock(&self->mu_);
  // Takes references: the pair may be replaced while this handshake runs.
  return SSL_use_cert_and_key(ssl, self->leaf_, self->key_, self->chain_, /*override=*/1) == 1 ? 1
                                                                                               : 0;
}

}  // namespace alliance
