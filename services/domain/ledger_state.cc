#include "services/domain/ledger_state.h"

#include "absl/strings/str_cat.h"
#include "proto/errors/refusal.h"
#include "services/domain/rule_keys.h"

namespace alliance::domain {

absl::StatusOr<std::optional<std::string>> LookUpRuleEntry(const LedgerState& state,
                                                           absl::string_view key) {
  // Pending first: an entry folded since the last commit is newer than the
  // store's (a reversal's record overrides its disbursement's).
  if (auto it = state.pending_rule_entries.find(key); it != state.pending_rule_entries.end()) {
    return it->second;
  }
  if (state.committed == nullptr) return std::nullopt;
  absl::StatusOr<std::optional<std::string>> value = state.committed->Get(key);
  if (!value.ok()) {
    return Refuse(
        absl::StatusCode::kUnavailable, "RULE_INDEX_UNAVAILABLE",
        absl::StrCat("the ledger could not read its rule index to check the command: ",
                     value.status().message(), "; nothing was written, retrying is safe"));
  }
  return value;
}

absl::StatusOr<std::optional<internal::v1::DisbursementRecord>> LookUpDisbursement(
    const LedgerState& state, absl::string_view event_id) {
  absl::StatusOr<std::optional<std::string>> value =
      LookUpRuleEntry(state, DisbursementRuleKey(event_id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::nullopt;
  internal::v1::DisbursementRecord record;
  if (!record.ParseFromString(**value)) {
    return absl::DataLossError(
        absl::StrCat("the rule index's record of disbursement ", event_id, " does not parse"));
  }
  return record;
}

}  // namespace alliance::domain
