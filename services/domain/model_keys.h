// Keys of the read models in the store's `models` column family (see
// storage/FORMAT.md). Parts are joined with '\0', which no id or name may
// hold, so a prefix scan of one index value never runs into the next.
//
//   consortium\0<consortium_id>                       -> ConsortiumStatus
//   program\0<program_id>                             -> ProgramSummary
//   participant\0<participant_id>                     -> ParticipantStatus
//   index\0<kind>\0<value>\0<consortium_id>           -> "" (an index entry)
// with kind one of kIndexProgram, kIndexRegion, kIndexField,
// kIndexParticipant. The field index holds both field_ko and field_en; the
// participant index every member, current or former (entries are never
// deleted, so a withdrawal writes nothing here).
//
// And the rule indexes, in the store's `rules` column family, which no query
// reads: the rules look them up one key at a time (ledger_state.h), so they
// stay on disk instead of in memory.
//   payment\0<consortium_id>\0<payment_reference>     -> event_id of the
//                                                      FundsDisbursed
//   disbursement\0<event_id>                         -> DisbursementRecord
//                                                      (alliance.internal.v1)
#ifndef ALLIANCE_SERVICES_DOMAIN_MODEL_KEYS_H_
#define ALLIANCE_SERVICES_DOMAIN_MODEL_KEYS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace alliance::domain {

inline constexpr absl::string_view kIndexProgram = "program";
inline constexpr absl::string_view kIndexRegion = "region";
inline constexpr absl::string_view kIndexField = "field";
inline constexpr absl::string_view kIndexParticipant = "participant";

std::string ConsortiumModelKey(absl::string_view consortium_id);
std::string ProgramModelKey(absl::string_view program_id);
std::string ParticipantModelKey(absl::string_view participant_id);
// "index\0<kind>\0<value>\0": every entry of one index value starts with it.
std::string IndexPrefix(absl::string_view kind, absl::string_view value);
std::string IndexKey(absl::string_view kind, absl::string_view value,
                     absl::string_view consortium_id);
// Rule 3: one payment reference, one payment, per consortium.
std::string PaymentRuleKey(absl::string_view consortium_id, absl::string_view payment_reference);
// Rule 6: what a FundsDisbursed paid, found by the event id a reversal names.
std::string DisbursementRuleKey(absl::string_view event_id);
// The consortium id at the end of an index key. REQUIRES: key starts with
// IndexPrefix(...).
absl::string_view ConsortiumIdOfIndexKey(absl::string_view key);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_MODEL_KEYS_H_
