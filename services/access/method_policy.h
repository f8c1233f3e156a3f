// Which identity may call which method: gRPC's authorization policy
// (gRFC A43) in its JSON file (deploy/authz-policy.json), enforced here.
// Debian's gRPC 1.51 has the policy engine's filter but not its
// FileWatcherAuthorizationPolicyProvider (libgrpc_authorization_provider is
// not packaged: ServerBuilder::experimental().SetAuthorizationPolicyProvider
// cannot be given one), so the same file format is read and enforced in one
// place, Callers::Admit (caller.h), before every handler of the ledger's
// services. Health checking and reflection are open to every registered
// identity.
//
// The rules (A43): a call matching any deny rule is refused; otherwise a
// call matching any allow rule is allowed; otherwise refused. A rule
// matches when the caller's URI (alliance://identity/<name>) matches one
// of its principals (or it names none) and the method's path one of its
// paths (or it names none). A string matches exactly, as "prefix*",
// "*suffix", or "*" (anything). Header conditions are not supported: a
// policy with any is refused whole.
//
//   absl::StatusOr<std::unique_ptr<MethodPolicy>> policy =
//       MethodPolicy::Open("var/authz-policy.json");
//   absl::Status allowed = (*policy)->Check("kiat", "/alliance.v1.CommandService/DisburseFunds");
#ifndef ALLIANCE_SERVICES_ACCESS_METHOD_POLICY_H_
#define ALLIANCE_SERVICES_ACCESS_METHOD_POLICY_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/internal/v1/method_policy.pb.h"
#include "services/access/watched_file.h"

namespace alliance {

// How often the file's modification time is looked at: an edited policy
// takes effect within this long, with no restart.
inline constexpr absl::Duration kMethodPolicyRefresh = absl::Seconds(5);

// The policy's JSON, parsed and checked (every rule named, no header
// conditions); INVALID_ARGUMENT saying what is wrong.
absl::StatusOr<internal::v1::AuthorizationPolicy> ParseMethodPolicy(absl::string_view json);

// OK when `policy` lets identity `name` call `method` (its path,
// "/package.Service/Method"); PERMISSION_DENIED (reason METHOD_NOT_ALLOWED,
// with the deny rule when one matched) otherwise.
absl::Status CheckMethodPolicy(const internal::v1::AuthorizationPolicy& policy,
                               absl::string_view name, absl::string_view method);

// Thread-safe.
class MethodPolicy {
 public:
  static absl::StatusOr<std::unique_ptr<MethodPolicy>> Open(std::string path);

  // CheckMethodPolicy against the version in force.
  absl::Status Check(absl::string_view name, absl::string_view method) {
    return CheckMethodPolicy(*file_->Current(), name, method);
  }
  absl::Status Reload() { return file_->Reload(); }

 private:
  explicit MethodPolicy(std::unique_ptr<WatchedFile<internal::v1::AuthorizationPolicy>> file)
      : file_(std::move(file)) {}
  const std::unique_ptr<WatchedFile<internal::v1::AuthorizationPolicy>> file_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_ACCESS_METHOD_POLICY_H_
