#include "clients/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "storage/whole_file.h"

namespace alliance::client {
namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view what, const std::string& path) {
  absl::StatusOr<std::string> pem = ReadWholeFile(path);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(),
                        absl::StrCat(what, ": ", pem.status().message(),
                                     " (a development PKI: deploy/pki.sh; or --tls_ca, "
                                     "--tls_cert, --tls_key)"));
  }
  return pem;
}

}  // namespace

TlsFiles IdentityFiles(absl::string_view pki_dir, absl::string_view name) {
  return TlsFiles{absl::StrCat(pki_dir, "/ca.crt"), absl::StrCat(pki_dir, "/", name, ".crt"),
                  absl::StrCat(pki_dir, "/", name, ".key")};
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& server,
                                                           const TlsFiles& files) {
  if (files.plaintext) return grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions tls;
  absl::StatusOr<std::string> ca = ReadPem("the CA certificate", files.ca_path);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> certificate =
      ReadPem("the client certificate", files.certificate_path);
  if (!certificate.ok()) return certificate.status();
  absl::StatusOr<std::string> key = ReadPem("the client key", files.key_path);
  if (!key.ok()) return key.status();
  tls.pem_root_certs = *std::move(ca);
  tls.pem_cert_chain = *std::move(certificate);
  tls.pem_private_key = *std::move(key);
  return grpc::CreateChannel(server, grpc::SslCredentials(tls));
}

}  // namespace alliance::client
