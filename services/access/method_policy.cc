#include "services/access/method_policy.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "proto/errors/refusal.h"
#include "services/access/caller.h"

namespace alliance {
namespace {

using Policy = internal::v1::AuthorizationPolicy;

// A43's string match: exact, "prefix*", "*suffix" or "*".
bool Matches(absl::string_view pattern, absl::string_view value) {
  if (pattern == "*") return true;
  if (absl::EndsWith(pattern, "*")) {
    return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  }
  if (absl::StartsWith(pattern, "*")) return absl::EndsWith(value, pattern.substr(1));
  return pattern == value;
}

template <typename Strings>
bool AnyMatches(const Strings& patterns, absl::string_view value) {
  if (patterns.empty()) return true;
  for (const std::string& pattern : patterns) {
    if (Matches(pattern, value)) return true;
  }
  return false;
}

bool RuleMatches(const Policy::Rule& rule, absl::string_view uri, absl::string_view method) {
  return AnyMatches(rule.source().principals(), uri) && AnyMatches(rule.request().paths(), method);
}

absl::Status CheckRules(const google::protobuf::RepeatedPtrField<Policy::Rule>& rules,
                        absl::string_view kind) {
  for (const Policy::Rule& rule : rules) {
    if (rule.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("every one of ", kind, " needs a name"));
    }
    if (rule.request().headers_size() > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          kind, " \"", rule.name(),
          "\" matches on headers, which this server does not support (principals and paths "
          "only): the policy is not used"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Policy> ParseMethodPolicy(absl::string_view json) {
  Policy policy;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      std::string(json.data(), json.size()), &policy, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not an authorization policy (gRFC A43 JSON): ",
                                                   std::string(parsed.message())));
  }
  if (policy.name().empty()) return absl::InvalidArgumentError("the policy needs a name");
  if (absl::Status s = CheckRules(policy.deny_rules(), "deny_rules"); !s.ok()) return s;
  if (absl::Status s = CheckRules(policy.allow_rules(), "allow_rules"); !s.ok()) return s;
  return policy;
}

absl::Status CheckMethodPolicy(const Policy& policy, absl::string_view name,
                               absl::string_view method) {
  const std::string uri = absl::StrCat(kIdentityUriPrefix, name);
  for (const Policy::Rule& rule : policy.deny_rules()) {
    if (RuleMatches(rule, uri, method)) {
      return Refuse(absl::StatusCode::kPermissionDenied, "METHOD_NOT_ALLOWED",
                    absl::StrCat("identity \"", name, "\" may not call ", method,
                                 ": the method policy's deny rule \"", rule.name(), "\""),
                    {{"identity", std::string(name)},
                     {"method", std::string(method)},
                     {"rule", rule.name()}});
    }
  }
  for (const Policy::Rule& rule : policy.allow_rules()) {
    if (RuleMatches(rule, uri, method)) return absl::OkStatus();
  }
  return Refuse(absl::StatusCode::kPermissionDenied, "METHOD_NOT_ALLOWED",
                absl::StrCat("identity \"", name, "\" may not call ", method,
                             ": no rule of the method policy \"", policy.name(), "\" allows it"),
                {{"identity", std::string(name)}, {"method", std::string(method)}});
}

absl::StatusOr<std::unique_ptr<MethodPolicy>> MethodPolicy::Open(std::string path) {
  absl::StatusOr<std::unique_ptr<WatchedFile<Policy>>> file = WatchedFile<Policy>::Open(
      std::move(path), "method policy", kMethodPolicyRefresh, ParseMethodPolicy);
  if (!file.ok()) return file.status();
  return std::unique_ptr<MethodPolicy>(new MethodPolicy(*std::move(file)));
}

}  // namespace alliance
