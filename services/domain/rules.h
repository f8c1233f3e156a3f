// Rules: what every concept's Decide* functions share (domain.md, "Business
// rules"). Each Decide* (program.h, selection.h, funding.h, researchers.h,
// oversight.h) takes the ledger state and a command that passed its
// Validate*, and returns the event to append or a refusal
// (proto/errors/refusal.h) with its reason; each concept's header lists its
// reasons in the order they are checked. After these, every event decided
// is checked for its business date (business_dates.h: OCCURRED_IN_FUTURE,
// OCCURRED_BEFORE_PROGRAM, OCCURRED_BEFORE_SELECTION); the command table
// (commands.h) runs both.
//
// A refusal's message states the rule and the numbers ("2023 total would be
// 1,450,000,000 KRW, limit 1,380,000,000 KRW") and its metadata holds them.
// Every limit comes from the program's ProgramRules: rules are data, so a
// second program or a 2024 round needs no change to the code.
//
// Where a command names a participant (lead, lab host, hiring enterprise),
// it must be a current member: a withdrawn one no longer counts.
//
// Pure functions: no clock, no state of their own, no I/O but the reads of
// the committed rule index (LedgerState::committed).
#ifndef ALLIANCE_SERVICES_DOMAIN_RULES_H_
#define ALLIANCE_SERVICES_DOMAIN_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/queries.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

// ---- Lookups ------------------------------------------------------------------

// The consortium, or null when none was selected with that id.
const v1::ConsortiumStatus* FindConsortium(const LedgerState& state, const std::string& id);
// The rules of the program the consortium was selected into.
const v1::ProgramRules& RulesOf(const LedgerState& state, const v1::ConsortiumStatus& consortium);
// The participant among `participants` (a consortium's current ones, or a
// selection's), or null.
const v1::Participant* FindParticipant(
    const google::protobuf::RepeatedPtrField<v1::Participant>& participants,
    const std::string& participant_id);
// The program's round of `round_year`, or null.
const v1::SelectionRound* FindRound(const v1::ProgramSummary& program, int32_t round_year);

// "a university", "in no known state", ...: for messages people read.
absl::string_view RoleInWords(v1::ParticipantRole role);
absl::string_view StateInWords(v1::ConsortiumState state);

// NOT_FOUND CONSORTIUM_NOT_FOUND: the first refusal of every command that
// names a consortium.
absl::Status ConsortiumNotFound(const std::string& consortium_id);

// ---- States ---------------------------------------------------------------------

// Terminated or completed: final.
bool IsClosed(const v1::ConsortiumStatus& consortium);
// FAILED_PRECONDITION `reason` unless the consortium is in `required`;
// `what` says what needs it.
absl::Status RequireState(const v1::ConsortiumStatus& consortium, v1::ConsortiumState required,
                          absl::string_view reason, absl::string_view what);
// RequireState(ACTIVE) with CONSORTIUM_NOT_ACTIVE.
absl::Status RequireActive(const v1::ConsortiumStatus& consortium, absl::string_view what);
// CONSORTIUM_CLOSED when terminated or completed.
absl::Status RequireNotClosed(const v1::ConsortiumStatus& consortium, absl::string_view what);

// ---- Years ------------------------------------------------------------------------

// ROUND_OUTSIDE_PROGRAM_PERIOD, TERM_OUTSIDE_PROGRAM_PERIOD: a round and
// the term of a consortium selected in it lie in the program period (rule 1).
absl::Status CheckRoundPeriod(const v1::ProgramRules& rules, int32_t round_year);
// PROGRAM_YEAR_OUTSIDE_TERM: a year paid, agreed or evaluated lies in the
// consortium's term and the program period.
absl::Status CheckProgramYear(const v1::ProgramRules& rules, const v1::ConsortiumStatus& consortium,
                              int32_t program_year);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_RULES_H_
