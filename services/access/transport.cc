#include "services/access/transport.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/access/caller.h"

namespace alliance {
namespace {

absl::Status CheckReadable(absl::string_view what, const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS needs ", what, " (or --plaintext on loopback, for development)"));
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(absl::string_view listen_address) {
  absl::string_view host = listen_address.substr(0, listen_address.rfind(':'));
  return absl::StartsWith(host, "127.") || host == "[::1]" || host == "localhost";
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const TransportOptions& options, absl::string_view listen_address, IdentityRegistry* registry) {
  if (options.plaintext) {
    if (!IsLoopbackAddress(listen_address)) {
      return absl::InvalidArgumentError(
          absl::StrCat("plaintext is served on loopback addresses only, not ", listen_address,
                       ": serve TLS (--tls_cert, --tls_key, --tls_client_ca)"));
    }
    if (!registry->Find(options.plaintext_identity).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "plaintext needs --plaintext_identity, a registered identity every caller is taken "
          "for; \"",
          options.plaintext_identity, "\" is not registered"));
    }
    spdlog::warn(
        "serving PLAINTEXT on {}: no encryption, and every caller is taken for identity \"{}\". "
        "For development on this machine only",
        std::string(listen_address), options.plaintext_identity);
    return grpc::InsecureServerCredentials();
  }
  if (absl::Status s =
          CheckReadable("the server certificate (--tls_cert)", options.certificate_path);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckReadable("the server key (--tls_key)", options.key_path); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckReadable("the client CA (--tls_client_ca)", options.client_ca_path);
      !s.ok()) {
    return s;
  }
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      options.key_path, options.certificate_path, options.client_ca_path,
      options.certificate_refresh_seconds);
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  // Verified when presented; a call without one reaches CallerAuthenticator,
  // which refuses it UNAUTHENTICATED (a required certificate would fail the
  // handshake instead, which a client sees as UNAVAILABLE).
  tls.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(tls);
  credentials->SetAuthMetadataProcessor(std::make_shared<CallerAuthenticator>(registry));
  return credentials;
}

}  // namespace alliance
