#include "services/access/caller.h"

#include <grpc/grpc_security_constants.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/errors/refusal.h"

namespace alliance {
namespace {

std::vector<std::string> PropertyValues(const grpc::AuthContext& context, const char* name) {
  std::vector<std::string> values;
  for (const grpc::string_ref& value : context.FindPropertyValues(name)) {
    values.emplace_back(value.data(), value.size());
  }
  return values;
}

}  // namespace

std::optional<std::string> IdentityNameFromUris(const std::vector<std::string>& uris) {
  for (const std::string& uri : uris) {
    if (absl::StartsWith(uri, kIdentityUriPrefix) && uri.size() > kIdentityUriPrefix.size()) {
      return uri.substr(kIdentityUriPrefix.size());
    }
  }
  return std::nullopt;
}

grpc::Status CallerAuthenticator::Process(const InputMetadata&, grpc::AuthContext* context,
                                          OutputMetadata*, OutputMetadata*) {
  std::string name;
  if (context->IsPeerAuthenticated()) {
    std::optional<std::string> named =
        IdentityNameFromUris(PropertyValues(*context, GRPC_PEER_URI_PROPERTY_NAME));
    if (!named.has_value()) {
      spdlog::warn("refused: UNAUTHENTICATED (a client certificate without an {}<name> URI)",
                   std::string(kIdentityUriPrefix));
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat("the client certificate names no identity: it needs a URI "
                                       "subject alternative name ",
                                       kIdentityUriPrefix, "<name>"));
    }
    name = *std::move(named);
  } else {
    spdlog::warn("refused: UNAUTHENTICATED (no client certificate)");
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "no client certificate: every call needs one, issued by the service's "
                        "client CA (alliancectl: --identity, or --tls_cert and --tls_key)");
  }
  if (!registry_->Find(name).has_value()) {
    spdlog::warn("refused: UNAUTHENTICATED identity={} (not in the identity registry)",
                 name.substr(0, kIdentityNameMax));
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("identity \"", name.substr(0, kIdentityNameMax),
                                     "\" is not registered with this service"));
  }
  return grpc::Status::OK;
}

absl::StatusOr<v1::Identity> Callers::Admit(const grpc::ServerContextBase& context,
                                            absl::string_view method) const {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::optional<v1::Identity> identity;
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    // The connection's verified certificate: read, never written (the
    // context is the connection's, shared by its concurrent calls).
    std::optional<std::string> name =
        IdentityNameFromUris(PropertyValues(*auth, GRPC_PEER_URI_PROPERTY_NAME));
    if (name.has_value()) identity = registry_->Find(*name);
  } else if (!plaintext_identity_.empty()) {
    identity = registry_->Find(plaintext_identity_);
  }
  if (!identity.has_value()) {
    return Refuse(absl::StatusCode::kUnauthenticated, "UNKNOWN_IDENTITY",
                  "the caller's identity is not registered with this service");
  }
  if (context.deadline() == std::chrono::system_clock::time_point::max()) {
    return Refuse(absl::StatusCode::kInvalidArgument, "DEADLINE_REQUIRED",
                  "every call needs a deadline (grpc::ClientContext::set_deadline, grpcurl "
                  "-max-time): a call without one could hold the server's resources forever");
  }
  if (policy_ != nullptr) {
    if (absl::Status allowed = policy_->Check(identity->name(), method); !allowed.ok()) {
      return allowed;
    }
  }
  return *std::move(identity);
}

}  // namespace alliance
