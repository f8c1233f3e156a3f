// Oversight: the managing agency's annual evaluation of each consortium
// (recorded once a year, corrected rather than recorded again), and the
// consortium's state: active, suspended and resumed, then terminated early
// or completed at the end of its term (final).
//
// Validation (validation.h's field checks, and):
//   years                    program_year a year
//   score                    0 (not scored)..kEvaluationScoreMax
//   grade                    not UNSPECIFIED, a known value
//   corrects_event_id        an event id (validation.h); the rules find the
//                            evaluation in effect it names
//   reason                   required to correct, suspend, resume and
//                            terminate; optional (but checked as text) to
//                            complete a consortium
//
// Rules (rules.h), the refusals in the order they are checked:
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
#ifndef ALLIANCE_SERVICES_DOMAIN_OVERSIGHT_H_
#define ALLIANCE_SERVICES_DOMAIN_OVERSIGHT_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/commands.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

// The top of the annual evaluation's score scale (0..100 points).
inline constexpr int32_t kEvaluationScoreMax = 100;

absl::Status ValidateRecordEvaluation(const v1::RecordEvaluationRequest& request);
absl::Status ValidateCorrectEvaluation(const v1::CorrectEvaluationRequest& request);
// The four state changes share one request; they differ only in whether a
// reason is required (suspend, resume, terminate) or optional (complete).
absl::Status ValidateSuspendConsortium(const v1::ChangeConsortiumStateRequest& request);
absl::Status ValidateResumeConsortium(const v1::ChangeConsortiumStateRequest& request);
absl::Status ValidateTerminateConsortium(const v1::ChangeConsortiumStateRequest& request);
absl::Status ValidateCompleteConsortium(const v1::ChangeConsortiumStateRequest& request);

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

// The rows of RecordEvaluation, CorrectEvaluation and the four state changes.
const std::vector<CommandSpec>& OversightCommands();

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_OVERSIGHT_H_
