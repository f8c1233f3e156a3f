#include "services/domain/rule_keys.h"

#include "absl/strings/str_cat.h"

namespace alliance::domain {
namespace {

// The separator between key parts. Spelled with an explicit length: a plain
// "\0" literal would be an empty string_view.
constexpr absl::string_view kSeparator("\0", 1);

}  // namespace

std::string PaymentRuleKey(absl::string_view consortium_id, absl::string_view payment_reference) {
  return absl::StrCat("payment", kSeparator, consortium_id, kSeparator, payment_reference);
}

std::string DisbursementRuleKey(absl::string_view event_id) {
  return absl::StrCat("disbursement", kSeparator, event_id);
}

}  // namespace alliance::domain
