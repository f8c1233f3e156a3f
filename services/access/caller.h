// Who is calling: the identity in the caller's verified client certificate,
// as the operator's registry (identity_registry.h) knows it.
//
// A client certificate names its holder in one URI subject alternative
// name, alliance://identity/<name> (deploy/pki.sh makes such certificates
// for development). The TLS handshake verifies the certificate against the
// client CA; CallerAuthenticator, gRPC's AuthMetadataProcessor of the
// server's credentials, then runs before every call: a caller without a
// verified certificate, without such a name, or with a name the registry
// does not hold is refused UNAUTHENTICATED before any handler sees the
// call. Callers::Admit then reads the same name from the call's AuthContext
// (the connection's, shared by its calls: read, never written).
//
//   grpc::ServerCredentials* creds = ...;
//   creds->SetAuthMetadataProcessor(std::make_shared<CallerAuthenticator>(registry));
//   Callers callers(registry, policy, /*plaintext_identity=*/"");
//   ...in a handler:
//   absl::StatusOr<v1::Identity> caller = callers.Admit(*context, kMethodPath);
#ifndef ALLIANCE_SERVICES_ACCESS_CALLER_H_
#define ALLIANCE_SERVICES_ACCESS_CALLER_H_

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/server_context.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/access.pb.h"
#include "services/access/identity_registry.h"
#include "services/access/method_policy.h"

namespace alliance {

// The URI a client certificate names its holder with: this, then the name.
inline constexpr absl::string_view kIdentityUriPrefix = "alliance://identity/";

// The identity name in a certificate's URI SANs (`uris`, the AuthContext's
// peer_uri values); nullopt when none is of the form above.
std::optional<std::string> IdentityNameFromUris(const std::vector<std::string>& uris);

// The identity name of a connection's verified client certificate; nullopt
// when the peer is not authenticated or its certificate names no identity.
// The one derivation both the authenticator and Callers::Admit use.
std::optional<std::string> CertificateIdentityName(const grpc::AuthContext& context);

// The processor of a TLS port's credentials.
class CallerAuthenticator : public grpc::AuthMetadataProcessor {
 public:
  explicit CallerAuthenticator(IdentityRegistry* registry) : registry_(registry) {}

  // Only a map lookup (and, every kIdentityRegistryRefresh, a stat): run on
  // the call's own thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  IdentityRegistry* const registry_;
};

// The metadata of the calls the server's own JSON/HTTP face makes over its
// in-process channel (services/http/http_face.h): the identity that face
// authenticated (a client certificate or a bearer token), and the gateway
// key, drawn at random when the server starts, which never leaves the
// process. A call from the network cannot know the key, and a call that
// brings a certificate is its certificate's whatever headers it sends.
inline constexpr char kGatewayIdentityHeader[] = "alliance-gateway-identity";
inline constexpr char kGatewayKeyHeader[] = "alliance-gateway-key";

// What the services ask who is calling. Thread-safe.
class Callers {
 public:
  // `policy`: the method policy (null: none, every method for every
  // registered identity). `plaintext_identity`: on a plaintext port (asked
  // for explicitly, on loopback only), every caller is this registered
  // identity; "" with TLS.
  Callers(IdentityRegistry* registry, MethodPolicy* policy, std::string plaintext_identity);

  // The key the JSON/HTTP face sends with kGatewayKeyHeader.
  const std::string& gateway_key() const { return gateway_key_; }

  // The caller of a call of `method` ("/alliance.v1.QueryService/GetConsortium")
  // that may go on: its registered identity (the name its certificate
  // gives, looked up again: the registry may have changed since
  // CallerAuthenticator saw it; on a plaintext port its one identity), once the call has a deadline
  // and the method policy allows the identity the method. UNAUTHENTICATED (UNKNOWN_IDENTITY)
  // without an identity; INVALID_ARGUMENT (DEADLINE_REQUIRED) without a deadline: a call that may
  // wait forever holds the server's memory forever; PERMISSION_DENIED (METHOD_NOT_ALLOWED,
  // method_policy.h).
  absl::StatusOr<v1::Identity> Admit(const grpc::ServerContextBase& context,
                                     absl::string_view method) const;

 private:
  IdentityRegistry* const registry_;
  MethodPolicy* const policy_;
  const std::string plaintext_identity_;
  const std::string gateway_key_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_ACCESS_CALLER_H_
