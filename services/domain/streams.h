// Which stream each event belongs to. A program's events go to
// "program-<program_id>", a consortium's to "consortium-<consortium_id>"; the
// expected-version check of a command applies to that stream.
#ifndef ALLIANCE_SERVICES_DOMAIN_STREAMS_H_
#define ALLIANCE_SERVICES_DOMAIN_STREAMS_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "services/domain/validation.h"

namespace alliance::domain {

// The longest stream id: "consortium-" and an id of kIdLengthMax (a read
// of a longer one is refused before the store is asked).
inline constexpr size_t kStreamIdLengthMax = 16 + kIdLengthMax;

std::string ProgramStreamId(absl::string_view program_id);
std::string ConsortiumStreamId(absl::string_view consortium_id);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_STREAMS_H_
