#include "services/access/identity_registry.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "services/domain/business_registration.h"
#include "services/domain/regions.h"

namespace alliance {
namespace {

bool IsIdentityName(absl::string_view name) {
  if (name.empty() || name.size() > kIdentityNameMax) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

absl::Status CheckIdentity(const v1::Identity& identity, int index) {
  const std::string where = absl::StrCat("identities[", index, "] (\"", identity.name(), "\")");
  if (!IsIdentityName(identity.name())) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": name must be 1 to ", kIdentityNameMax, " of [a-z0-9-]"));
  }
  if (identity.role() == v1::ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": no role"));
  }
  if (identity.organisation().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": no organisation"));
  }
  if (identity.role() == v1::ROLE_REGIONAL_GOVERNMENT &&
      domain::FindRegion(identity.region_code()) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": a regional government needs its region_code (e.g. \"KR-44\")"));
  }
  if (identity.role() == v1::ROLE_UNIVERSITY || identity.role() == v1::ROLE_ENTERPRISE) {
    if (absl::Status s = domain::CheckBusinessRegistrationNumber(identity.participant_id());
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": participant_id: ", s.message()));
    }
  }
  for (const std::string& hash : identity.token_sha256()) {
    if (hash.size() != 64 || !std::all_of(hash.begin(), hash.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        })) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": token_sha256 must be 64 lowercase hex digits (deploy/token.sh)"));
    }
  }
  return absl::OkStatus();
}

// SHA-256 of `text` as 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const bool hashed = EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  assert(hashed && length == 32);
  (void)hashed;
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

absl::StatusOr<absl::flat_hash_map<std::string, v1::Identity>> ParseIdentityRegistry(
    absl::string_view text) {
  v1::IdentityRegistry registry;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text.data(), text.size()),
                                                     &registry)) {
    return absl::InvalidArgumentError(
        "the identity registry is not an alliance.v1.IdentityRegistry in text format");
  }
  absl::flat_hash_map<std::string, v1::Identity> identities;
  absl::flat_hash_set<std::string> token_hashes;
  for (int i = 0; i < registry.identities_size(); ++i) {
    const v1::Identity& identity = registry.identities(i);
    if (absl::Status s = CheckIdentity(identity, i); !s.ok()) return s;
    for (const std::string& hash : identity.token_sha256()) {
      if (!token_hashes.insert(hash).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("identities[", i, "] (\"", identity.name(),
                         "\"): a token_sha256 another entry has too; a token is one identity's"));
      }
    }
    if (!identities.emplace(identity.name(), identity).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("identities[", i, "]: \"", identity.name(), "\" is registered twice"));
    }
  }
  return identities;
}

absl::StatusOr<std::unique_ptr<IdentityRegistry>> IdentityRegistry::Open(std::string path) {
  absl::StatusOr<std::unique_ptr<WatchedFile<Identities>>> file = WatchedFile<Identities>::Open(
      std::move(path), "identity registry", kIdentityRegistryRefresh, ParseIdentityRegistry);
  if (!file.ok()) return file.status();
  return std::unique_ptr<IdentityRegistry>(new IdentityRegistry(*std::move(file)));
}

std::optional<v1::Identity> IdentityRegistry::Find(absl::string_view name) {
  std::shared_ptr<const Identities> identities = file_->Current();
  auto it = identities->find(name);
  if (it == identities->end()) return std::nullopt;
  return it->second;
}

std::optional<v1::Identity> IdentityRegistry::FindByToken(absl::string_view bearer_token) {
  if (bearer_token.empty()) return std::nullopt;
  const std::string hash = Sha256Hex(bearer_token);
  std::shared_ptr<const Identities> identities = file_->Current();
  for (const auto& [name, identity] : *identities) {
    for (const std::string& known : identity.token_sha256()) {
      if (known == hash) return identity;
    }
  }
  return std::nullopt;
}

}  // namespace alliance
