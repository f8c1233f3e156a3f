// The identities an operator registers (alliance.v1.IdentityRegistry in
// text format, access.proto): each certificate name's role, organisation,
// and region or business registration number. Read from one file the
// operator edits; re-read when it changes, so adding or removing an
// identity needs no restart (like the certificates and the method policy).
//
//   absl::StatusOr<std::unique_ptr<IdentityRegistry>> registry =
//       IdentityRegistry::Open("var/identities.textpb");
//   std::optional<v1::Identity> who = (*registry)->Find("kiat");
#ifndef ALLIANCE_SERVICES_ACCESS_IDENTITY_REGISTRY_H_
#define ALLIANCE_SERVICES_ACCESS_IDENTITY_REGISTRY_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/access.pb.h"
#include "services/access/watched_file.h"

namespace alliance {

// A certificate name: [a-z0-9-], 1 to this many characters.
inline constexpr size_t kIdentityNameMax = 64;
// How often the file's modification time is looked at: a changed file
// takes effect within this long.
inline constexpr absl::Duration kIdentityRegistryRefresh = absl::Seconds(5);

// The registry's text, parsed and checked: every identity named, of a role,
// with an organisation; a regional government with a region of
// regions.h; a university or an enterprise with a valid business
// registration number; no name twice. INVALID_ARGUMENT naming the entry.
absl::StatusOr<absl::flat_hash_map<std::string, v1::Identity>> ParseIdentityRegistry(
    absl::string_view text);

// Thread-safe.
class IdentityRegistry {
 public:
  // Reads `path`; fails when it cannot be read or does not parse.
  static absl::StatusOr<std::unique_ptr<IdentityRegistry>> Open(std::string path);

  // The identity registered under `name`; nullopt when none is. The file is
  // re-read first when it changed (watched_file.h).
  std::optional<v1::Identity> Find(absl::string_view name);
  // The identity one of whose token_sha256 is `bearer_token`'s SHA-256;
  // nullopt when none is.
  std::optional<v1::Identity> FindByToken(absl::string_view bearer_token);

  // Reads the file again now (allianced does on SIGHUP). On an error the
  // previous version stays, and the error is returned.
  absl::Status Reload() { return file_->Reload(); }

 private:
  using Identities = absl::flat_hash_map<std::string, v1::Identity>;
  explicit IdentityRegistry(std::unique_ptr<WatchedFile<Identities>> file)
      : file_(std::move(file)) {}

  const std::unique_ptr<WatchedFile<Identities>> file_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_ACCESS_IDENTITY_REGISTRY_H_
