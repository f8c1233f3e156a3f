#include "services/domain/ledger_state.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace alliance::domain {

std::string PaymentKey(const std::string& consortium_id, const std::string& payment_reference) {
  // '\0' cannot occur in a validated id or reference, so the key is unambiguous.
  return absl::StrCat(consortium_id, absl::string_view("\0", 1), payment_reference);
}

}  // namespace alliance::domain
