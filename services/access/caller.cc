#include "services/access/caller.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <cassert>
#include <chrono>
#include <vector>

#include "absl/strings/escaping.h"
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

// 32 random bytes in hex: guessing it is guessing a 256-bit key.
std::string NewGatewayKey() {
  unsigned char bytes[32];
  [[maybe_unused]] const int drawn = RAND_bytes(bytes, sizeof(bytes));
  assert(drawn == 1);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

// The value of metadata `key` the client sent; "" when none.
absl::string_view ClientMetadata(const grpc::ServerContextBase& context, absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return absl::string_view(it->second.data(), it->second.size());
}

bool SameKey(absl::string_view sent, const std::string& key) {
  return sent.size() == key.size() && CRYPTO_memcmp(sent.data(), key.data(), key.size()) == 0;
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

std::optional<std::string> CertificateIdentityName(const grpc::AuthContext& context) {
  if (!context.IsPeerAuthenticated()) return std::nullopt;
  return IdentityNameFromUris(PropertyValues(context, GRPC_PEER_URI_PROPERTY_NAME));
}

grpc::Status CallerAuthenticator::Process(const InputMetadata&, grpc::AuthContext* context,
                                          OutputMetadata*, OutputMetadata*) {
  std::string name;
  if (context->IsPeerAuthenticated()) {
    std::optional<std::string> named = CertificateIdentityName(*context);
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

Callers::Callers(IdentityRegistry* registry, MethodPolicy* policy, std::string plaintext_identity)
    : registry_(registry),
      policy_(policy),
      plaintext_identity_(std::move(plaintext_identity)),
      gateway_key_(NewGatewayKey()) {}

absl::StatusOr<v1::Identity> Callers::Admit(const grpc::ServerContextBase& context,
                                            absl::string_view method) const {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::optional<v1::Identity> identity;
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    // The connection's verified certificate: read, never written (the
    // context is the connection's, shared by its concurrent calls).
    std::optional<std::string> name = CertificateIdentityName(*auth);
    if (name.has_value()) identity = registry_->Find(*name);
  } else if (absl::string_view sent = ClientMetadata(context, kGatewayKeyHeader); !sent.empty()) {
    // The JSON/HTTP face's in-process call; a wrong key is no identity.
    if (SameKey(sent, gateway_key_)) {
      identity = registry_->Find(ClientMetadata(context, kGatewayIdentityHeader));
    }
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
