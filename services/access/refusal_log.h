// One structured log line for every refused call: who (the identity name,
// or "-" before one is known), which method, which consortium, the code and
// the ErrorInfo reason. Never the request's content or the refusal's
// message, which may quote it: a log is not a place for personal data, and
// a researcher's id is in both.
//
//   LogRefusal(status, "/alliance.v1.CommandService/DisburseFunds", "kiat", "chungnam-...");
#ifndef ALLIANCE_SERVICES_ACCESS_REFUSAL_LOG_H_
#define ALLIANCE_SERVICES_ACCESS_REFUSAL_LOG_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace alliance {

// Longest consortium id the line quotes (ids are limited, but a refused one
// may be of any length).
inline constexpr size_t kLoggedIdMax = 64;

// Logs `status` (not OK) as a refusal of `method` to `identity` about
// `consortium_id` ("" when the call names none).
void LogRefusal(const absl::Status& status, absl::string_view method, absl::string_view identity,
                absl::string_view consortium_id);

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_ACCESS_REFUSAL_LOG_H_
