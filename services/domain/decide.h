// Decide (being split by concept into program.h, selection.h, funding.h,
// researchers.h and oversight.h, with the helpers they share in rules.h;
// this header declares the commands not moved yet and includes those
// moved): the program's rules (domain.md, "Business rules"). Each function
// takes the ledger state and a command that passed validate.h, and returns
// the event to append or a refusal (proto/errors/refusal.h) with its reason. The
// reasons, by command, in the order they are checked:
//
//   RecordEvaluation    NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION PROGRAM_YEAR_OUTSIDE_TERM
//                       ALREADY_EXISTS     EVALUATION_ALREADY_RECORDED
//                         (correct it instead)
//   CorrectEvaluation   NOT_FOUND          CONSORTIUM_NOT_FOUND,
//                                          EVALUATION_NOT_FOUND (not the
//                                          event in effect of any year)
//   SuspendConsortium   NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION CONSORTIUM_NOT_ACTIVE
//   ResumeConsortium    ...                CONSORTIUM_NOT_SUSPENDED
//   TerminateConsortium ...                CONSORTIUM_CLOSED
//   CompleteConsortium  ...                CONSORTIUM_NOT_ACTIVE, TERM_NOT_OVER
//                         (before the term's last year)
// After these, every event decided is checked for its business date
// (business_dates.h: OCCURRED_IN_FUTURE, OCCURRED_BEFORE_PROGRAM,
// OCCURRED_BEFORE_SELECTION); the command table (commands.h) runs both.
// A refusal's message states the rule and the numbers ("2023 total would be
// 1,450,000,000 KRW, limit 1,380,000,000 KRW") and its metadata holds them.
//
// Where a command names a participant (lead, lab host, hiring enterprise),
// it must be a current member: a withdrawn one no longer counts.
//
// Pure functions: no clock, no state of their own, no I/O but the reads of
// the committed rule index (LedgerState::committed).
#ifndef ALLIANCE_SERVICES_DOMAIN_DECIDE_H_
#define ALLIANCE_SERVICES_DOMAIN_DECIDE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/funding.h"
#include "services/domain/ledger_state.h"
#include "services/domain/program.h"
#include "services/domain/researchers.h"
#include "services/domain/selection.h"

namespace alliance::domain {

absl::StatusOr<v1::Event> DecideRecordEvaluation(const LedgerState& state,
                                                 const v1::RecordEvaluationRequest& request);
absl::StatusOr<v1::Event> DecideCorrectEvaluation(const LedgerState& state,
                                                  const v1::CorrectEvaluationRequest& request);
absl::StatusOr<v1::Event> DecideSuspendConsortium(const LedgerState& state,
                                                  const v1::ChangeConsortiumStateRequest& request);
absl::StatusOr<v1::Event> DecideResumeConsortium(const LedgerState& state,
                                                 const v1::ChangeConsortiumStateRequest& request);
absl::StatusOr<v1::Event> DecideTerminateConsortium(
    const LedgerState& state, const v1::ChangeConsortiumStateRequest& request);
absl::StatusOr<v1::Event> DecideCompleteConsortium(const LedgerState& state,
                                                   const v1::ChangeConsortiumStateRequest& request);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_DECIDE_H_
