// Validate (being split by concept into program.h, selection.h, funding.h,
// researchers.h and oversight.h; this header declares the commands not moved
// yet and includes those moved): the checks a command passes before it
// reaches the rules, needing
// no state. Each returns OK or INVALID_ARGUMENT naming the first bad field by
// its path in the request (e.g. "disbursement.amount_krw"), with reason
// MISSING_FIELD or INVALID_FIELD (proto/errors/refusal.h). They run on the gRPC
// thread, so malformed input never occupies the ledger core's decider.
//
// What is checked, besides the field checks every command shares (validation.h):
//   amounts                  > 0 (and rules' limits > 0, consistent); a grant
//                            (grant_krw) is an amount
//   years                    kYearMin..kYearMax (round_year, program_year)
//   score                    0 (not scored)..kEvaluationScoreMax
//   reason                   required to reverse, amend, withdraw, retract,
//                            correct, suspend, resume and terminate; optional
//                            (but checked as text) to record a departure and
//                            to complete a consortium
//   enums                    not UNSPECIFIED, known values (role, degree,
//                            track, grade)
//
// Fields of a request that carries an event message are named under it
// ("round.slots", "joining.participant.role"); flat requests name the field
// alone ("grant_krw", "reason").
#ifndef ALLIANCE_SERVICES_DOMAIN_VALIDATE_H_
#define ALLIANCE_SERVICES_DOMAIN_VALIDATE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "alliance/v1/commands.pb.h"
#include "services/domain/funding.h"
#include "services/domain/program.h"
#include "services/domain/researchers.h"
#include "services/domain/selection.h"
#include "services/domain/validation.h"

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

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_VALIDATE_H_
