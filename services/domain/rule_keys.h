// Keys of the rule indexes, in the store's `rules` column family
// (storage/FORMAT.md), which no query reads: the rules look them up one key
// at a time (ledger_state.h), so they stay on disk instead of in memory.
// Parts are joined with '\0', which no id or reference may hold.
//
//   payment\0<consortium_id>\0<payment_reference>  -> event_id of the FundsDisbursed
//   disbursement\0<event_id>                      -> DisbursementRecord
//                                                   (alliance.internal.v1)
//
// The rules own these keys and their values: storage stores them as given.
// (The read models' keys are storage's: storage/model_keys.h.)
#ifndef ALLIANCE_SERVICES_DOMAIN_RULE_KEYS_H_
#define ALLIANCE_SERVICES_DOMAIN_RULE_KEYS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace alliance::domain {

// Rule 3: one payment reference, one payment, per consortium.
std::string PaymentRuleKey(absl::string_view consortium_id, absl::string_view payment_reference);
// Rule 6: what a FundsDisbursed paid, found by the event id a reversal names.
std::string DisbursementRuleKey(absl::string_view event_id);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_RULE_KEYS_H_
