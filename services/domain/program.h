// The program and its selection rounds: a program is established once with
// its rules (ProgramRules: period, budget, limits, consortium term, the
// minimum of mid-sized enterprises, excluded regions, hiring target), then
// opens at most one selection round a year, of so many slots (rule 1).
//
// Validation (validation.h's field checks, and):
//   EstablishProgram    program.rules: years first_year..last_year in
//                         order; limits > 0 and consistent (annual <=
//                         consortium <= total budget); consortium_term_years
//                         1..the period's years; min_midsized_enterprises
//                         0..kParticipantsMax; at most 32
//                         excluded_region_codes, each a region code;
//                         hiring_target 0..1,000,000
//   OpenSelectionRound  round.round_year a year; round.slots 1..kRoundSlotsMax
//
// Rules (rules.h), the refusals in the order they are checked:
//   EstablishProgram    ALREADY_EXISTS     PROGRAM_ALREADY_EXISTS
//   OpenSelectionRound  NOT_FOUND          PROGRAM_NOT_FOUND
//                       ALREADY_EXISTS     ROUND_ALREADY_OPENED (one round a year)
//                       FAILED_PRECONDITION ROUND_OUTSIDE_PROGRAM_PERIOD,
//                         TERM_OUTSIDE_PROGRAM_PERIOD (round year + term
//                         must end by the program's last year),
//                         ROUND_SLOTS_OVER_BUDGET ((selected + unfilled slots
//                         of every round + these slots) x consortium limit
//                         over the total budget)
#ifndef ALLIANCE_SERVICES_DOMAIN_PROGRAM_H_
#define ALLIANCE_SERVICES_DOMAIN_PROGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/commands.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

// Consortia one selection round may select: a round selects a handful (3 in
// 2023 and 2024), and each slot sets aside a consortium's whole limit, so a
// hundred slots would be 16 times the 2023 program's budget.
inline constexpr int32_t kRoundSlotsMax = 100;

absl::Status ValidateEstablishProgram(const v1::EstablishProgramRequest& request);
absl::Status ValidateOpenSelectionRound(const v1::OpenSelectionRoundRequest& request);

absl::StatusOr<v1::Event> DecideEstablishProgram(const LedgerState& state,
                                                 const v1::EstablishProgramRequest& request);
absl::StatusOr<v1::Event> DecideOpenSelectionRound(const LedgerState& state,
                                                   const v1::OpenSelectionRoundRequest& request);

// The rows of the program's commands: EstablishProgram, OpenSelectionRound.
const std::vector<CommandSpec>& ProgramCommands();

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_PROGRAM_H_
