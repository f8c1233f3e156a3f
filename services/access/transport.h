// The server's listening credentials: TLS with client certificates
// (mutual TLS) by default, reloaded from their files without a restart;
// plaintext only when asked for, only on a loopback address.
//
//   TransportOptions transport{.certificate_path = "var/pki/server.crt",
//                              .key_path = "var/pki/server.key",
//                              .client_ca_path = "var/pki/ca.crt"};
//   absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
//       ServerCredentials(transport, "127.0.0.1:50051", registry);
#ifndef ALLIANCE_SERVICES_ACCESS_TRANSPORT_H_
#define ALLIANCE_SERVICES_ACCESS_TRANSPORT_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/access/identity_registry.h"

namespace alliance {

// How often the certificate files are read again: a renewed certificate or
// CA is served within this long, with no restart.
inline constexpr unsigned kCertificateRefreshSeconds = 60;

struct TransportOptions {
  // PEM files: the server's certificate (chain) and key, and the CA that
  // issues the callers' client certificates.
  std::string certificate_path;
  std::string key_path;
  std::string client_ca_path;
  // How often they are read again (tests make it short).
  unsigned certificate_refresh_seconds = kCertificateRefreshSeconds;
  // Serve plaintext instead, every caller as `plaintext_identity` (a
  // registered name). Refused unless the address is a loopback one.
  bool plaintext = false;
  std::string plaintext_identity;
};

// Whether host:port names a loopback host (127.0.0.0/8, ::1, localhost).
bool IsLoopbackAddress(absl::string_view listen_address);

// The credentials to listen on `listen_address` with: TLS requesting and
// verifying a client certificate, whose callers `registry` authenticates
// (caller.h); or plaintext. INVALID_ARGUMENT for plaintext off loopback or
// without an identity, or TLS without its three files; NOT_FOUND when one
// cannot be read (checked here: gRPC would only fail each handshake).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const TransportOptions& options, absl::string_view listen_address, IdentityRegistry* registry);

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_ACCESS_TRANSPORT_H_
