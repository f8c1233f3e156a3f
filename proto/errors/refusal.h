// A refusal is an absl::Status that also carries a stable, machine-readable
// reason (UPPER_SNAKE, e.g. "ANNUAL_LIMIT_EXCEEDED") and its numbers as
// key/value metadata, so that a calling system can branch on the reason
// without parsing the English message. For a malformed field it also names
// the field. The gRPC edge turns these into google.rpc.ErrorInfo and
// google.rpc.BadRequest details. The domain, the ledger core, the services
// and the clients all speak it, so it lives beside the API, here.
//
//   return Refuse(absl::StatusCode::kFailedPrecondition,
//                 "ANNUAL_LIMIT_EXCEEDED",
//                 "2023 total would be 1,450,000,000 KRW, limit 1,380,000,000",
//                 {{"program_year", "2023"}, {"limit_krw", "1380000000"}});
//
//   std::optional<RefusalDetails> d = GetRefusalDetails(status);
//   if (d && d->reason == "ANNUAL_LIMIT_EXCEEDED") ...
#ifndef ALLIANCE_PROTO_ERRORS_REFUSAL_H_
#define ALLIANCE_PROTO_ERRORS_REFUSAL_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace alliance {

// The ErrorInfo.domain of every refusal this service makes.
inline constexpr absl::string_view kErrorDomain = "alliance.kiat.or.kr";

struct RefusalDetails {
  std::string reason;                           // UPPER_SNAKE code
  std::map<std::string, std::string> metadata;  // numbers and ids, as text
  std::string field;                            // malformed field path, or ""
};

// A status with `code`, `message` and the reason and metadata attached as a
// payload. REQUIRES: code != kOk, reason is UPPER_SNAKE.
absl::Status Refuse(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                    std::vector<std::pair<std::string, std::string>> metadata = {});

// INVALID_ARGUMENT naming the field (e.g. "disbursement.amount_krw").
// reason is "MISSING_FIELD" when the field is absent or empty, otherwise
// "INVALID_FIELD".
absl::Status MissingField(absl::string_view field);
absl::Status InvalidField(absl::string_view field, absl::string_view message);

// The reason, metadata and field attached by the functions above; nullopt for
// an ok status or one made elsewhere.
std::optional<RefusalDetails> GetRefusalDetails(const absl::Status& status);

// 1450000000 -> "1,450,000,000": the form refusal messages show money in.
std::string FormatKrw(int64_t amount_krw);

}  // namespace alliance

#endif  // ALLIANCE_PROTO_ERRORS_REFUSAL_H_
