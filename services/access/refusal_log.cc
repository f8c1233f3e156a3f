#include "services/access/refusal_log.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "proto/errors/refusal.h"

namespace alliance {
namespace {

// A quoted id, cut to kLoggedIdMax and escaped: a log line stays one line.
std::string Quoted(absl::string_view id) {
  if (id.empty()) return "-";
  const bool cut = id.size() > kLoggedIdMax;
  std::string quoted = absl::CHexEscape(id.substr(0, kLoggedIdMax));
  if (cut) quoted.append("...");
  return quoted;
}

}  // namespace

void LogRefusal(const absl::Status& status, absl::string_view method, absl::string_view identity,
                absl::string_view consortium_id) {
  std::optional<RefusalDetails> details = GetRefusalDetails(status);
  // A refusal before the caller was admitted (the method policy's) names
  // the identity in its metadata.
  if (identity.empty() && details.has_value()) {
    auto named = details->metadata.find("identity");
    if (named != details->metadata.end()) identity = named->second;
  }
  const std::string method_text(method.data(), method.size());
  spdlog::info("refused code={} reason={} identity={} method={} consortium={}",
               absl::StatusCodeToString(status.code()), details.has_value() ? details->reason : "-",
               Quoted(identity), method_text, Quoted(consortium_id));
}

}  // namespace alliance
