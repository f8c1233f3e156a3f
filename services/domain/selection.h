// Selection and membership: a consortium is selected into a program's
// round, led by a university, with its participants (rule 1); organisations
// join it later, and withdraw from it, as members.
//
// Validation (validation.h's field checks, and):
//   region_code              the ISO 3166-2:KR code of one of Korea's
//                            kRegionCount first-level divisions (regions.h)
//   region_name_ko           the division's name_ko, or its former_name_ko
//                            (강원도 for KR-42, 전라북도 for KR-45)
//   participants             at most kParticipantsMax, ids unique, lead among them
//   role                     not UNSPECIFIED, a known value (of each
//                            participant, and of joining.participant)
//   reason                   required to withdraw
//
// Rules (rules.h), the refusals in the order they are checked:
//   SelectConsortium    NOT_FOUND          PROGRAM_NOT_FOUND
//                       ALREADY_EXISTS     CONSORTIUM_ALREADY_SELECTED
//                       FAILED_PRECONDITION ROUND_OUTSIDE_PROGRAM_PERIOD,
//                         TERM_OUTSIDE_PROGRAM_PERIOD, ROUND_NOT_OPEN (no
//                         round opened for round_year), ROUND_FULL (every
//                         slot taken), LEAD_NOT_UNIVERSITY,
//                         TOO_FEW_MIDSIZED_ENTERPRISES,
//                         REGION_EXCLUDED, PROGRAM_BUDGET_EXHAUSTED
//   JoinConsortium      NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION CONSORTIUM_CLOSED
//                       ALREADY_EXISTS     PARTICIPANT_ALREADY_MEMBER
//   WithdrawParticipant NOT_FOUND          CONSORTIUM_NOT_FOUND,
//                                          PARTICIPANT_NOT_MEMBER
//                       FAILED_PRECONDITION LEAD_CANNOT_WITHDRAW,
//                         LAB_HOST_CANNOT_WITHDRAW, TOO_FEW_MIDSIZED_ENTERPRISES
#ifndef ALLIANCE_SERVICES_DOMAIN_SELECTION_H_
#define ALLIANCE_SERVICES_DOMAIN_SELECTION_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/commands.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

absl::Status ValidateSelectConsortium(const v1::SelectConsortiumRequest& request);
absl::Status ValidateJoinConsortium(const v1::JoinConsortiumRequest& request);
absl::Status ValidateWithdrawParticipant(const v1::WithdrawParticipantRequest& request);

absl::StatusOr<v1::Event> DecideSelectConsortium(const LedgerState& state,
                                                 const v1::SelectConsortiumRequest& request);
absl::StatusOr<v1::Event> DecideJoinConsortium(const LedgerState& state,
                                               const v1::JoinConsortiumRequest& request);
absl::StatusOr<v1::Event> DecideWithdrawParticipant(const LedgerState& state,
                                                    const v1::WithdrawParticipantRequest& request);

// The rows of SelectConsortium, JoinConsortium, WithdrawParticipant.
const std::vector<CommandSpec>& SelectionCommands();

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_SELECTION_H_
