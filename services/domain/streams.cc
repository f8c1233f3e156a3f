#include "services/domain/streams.h"

#include "absl/strings/str_cat.h"

namespace alliance::domain {

std::string ProgramStreamId(absl::string_view program_id) {
  return absl::StrCat("program-", program_id);
}

std::string ConsortiumStreamId(absl::string_view consortium_id) {
  return absl::StrCat("consortium-", consortium_id);
}

}  // namespace alliance::domain
