// ServingCertificate: the JSON/HTTP face's certificate chain and key, kept
// parsed in memory and read again when either file changes (its
// modification time, looked at with a stat at each TLS handshake). A
// renewed pair is served from the next connection on, with no restart,
// and a handshake costs no PEM parsing (OpenSSL 3's decoders make that
// the most expensive part of a handshake).
//
//   ServingCertificate certificate(cert_path, key_path);
//   SSL_CTX_set_cert_cb(context, &ServingCertificate::CertCallback, &certificate);
//
// A pair that does not parse, or whose key does not match its certificate
// (caught between writing one file and the other), is not taken: the
// previous pair stays until both files agree. Thread-safe.
#ifndef ALLIANCE_SERVICES_HTTP_SERVING_CERTIFICATE_H_
#define ALLIANCE_SERVICES_HTTP_SERVING_CERTIFICATE_H_

#include <openssl/types.h>
#include <openssl/x509.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace alliance {

class ServingCertificate {
 public:
  ServingCertificate(std::string certificate_path, std::string key_path);
  ~ServingCertificate();
  ServingCertificate(const ServingCertificate&) = delete;
  ServingCertificate& operator=(const ServingCertificate&) = delete;

  // Reads the files if they changed since the pair in memory was read. OK
  // when a pair is in memory afterwards; the reason otherwise.
  absl::Status Refresh();
  // Installs the pair on `ssl` (after Refresh). 1 on success, 0 to fail
  // the handshake: SSL_CTX_set_cert_cb's contract, `arg` this object.
  static int CertCallback(SSL* ssl, void* arg);

 private:
  absl::Status Load(absl::Time certificate_modified, absl::Time key_modified)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Clear() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string certificate_path_;
  const std::string key_path_;
  absl::Mutex mu_;
  absl::Time certificate_modified_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time key_modified_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  X509* leaf_ ABSL_GUARDED_BY(mu_) = nullptr;
  STACK_OF(X509) * chain_ ABSL_GUARDED_BY(mu_) = nullptr;
  EVP_PKEY* key_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_HTTP_SERVING_CERTIFICATE_H_
