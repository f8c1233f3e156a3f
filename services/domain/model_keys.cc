#include "services/domain/model_keys.h"

#include <cassert>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace alliance::domain {
namespace {

// The separator between key parts. Spelled with an explicit length: a plain
// "\0" literal would be an empty string_view.
constexpr absl::string_view kSeparator("\0", 1);

}  // namespace

std::string ConsortiumModelKey(absl::string_view consortium_id) {
  return absl::StrCat("consortium", kSeparator, consortium_id);
}

std::string ProgramModelKey(absl::string_view program_id) {
  return absl::StrCat("program", kSeparator, program_id);
}

std::string ParticipantModelKey(absl::string_view participant_id) {
  return absl::StrCat("participant", kSeparator, participant_id);
}

std::string IndexPrefix(absl::string_view kind, absl::string_view value) {
  return absl::StrCat("index", kSeparator, kind, kSeparator, value, kSeparator);
}

std::string IndexKey(absl::string_view kind, absl::string_view value,
                     absl::string_view consortium_id) {
  return absl::StrCat(IndexPrefix(kind, value), consortium_id);
}

std::string PaymentRuleKey(absl::string_view consortium_id, absl::string_view payment_reference) {
  return absl::StrCat("payment", kSeparator, consortium_id, kSeparator, payment_reference);
}

std::string DisbursementRuleKey(absl::string_view event_id) {
  return absl::StrCat("disbursement", kSeparator, event_id);
}

absl::string_view ConsortiumIdOfIndexKey(absl::string_view key) {
  assert(absl::StartsWith(key, absl::StrCat("index", kSeparator)));
  // No part holds '\0', so the id is everything after the last separator.
  const size_t last = key.rfind('\0');
  assert(last != absl::string_view::npos);
  return key.substr(last + 1);
}

}  // namespace alliance::domain
