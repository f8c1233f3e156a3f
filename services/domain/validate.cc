// The stateless checks of validate.h. Each helper returns OK or the refusal
// for the first bad field; the Validate* functions run them in field order so
// the caller hears about the first problem in the request as written.
#include "services/domain/validate.h"

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "proto/errors/refusal.h"
#include "services/domain/business_registration.h"
#include "services/domain/regions.h"
#include "services/domain/validation.h"

namespace alliance::domain {
namespace {

// ---- Lifecycle fields -----------------------------------------------------------

absl::Status CheckGrade(absl::string_view path, v1::EvaluationGrade grade) {
  if (grade == v1::EVALUATION_GRADE_UNSPECIFIED) return MissingField(path);
  if (!v1::EvaluationGrade_IsValid(grade)) {
    return InvalidField(path,
                        "must be one of EVALUATION_GRADE_EXCELLENT, EVALUATION_GRADE_SATISFACTORY, "
                        "EVALUATION_GRADE_UNSATISFACTORY, EVALUATION_GRADE_POOR");
  }
  return absl::OkStatus();
}

// 0 means "not scored", so it is not a missing field.
absl::Status CheckScore(absl::string_view path, int32_t score) {
  if (score < 0 || score > kEvaluationScoreMax) {
    return InvalidField(path, absl::StrCat("must be from 0 (not scored) to ", kEvaluationScoreMax,
                                           " (got ", score, ")"));
  }
  return absl::OkStatus();
}

// The fields every consortium state change carries; `reason_required` is
// false only for completion, which needs no explanation.
absl::Status ValidateConsortiumStateChange(const v1::ChangeConsortiumStateRequest& request,
                                           bool reason_required) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (absl::Status s = CheckId("consortium_id", request.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckText("reason", request.reason(), reason_required); !s.ok()) return s;
  return CheckTimestamp("occurred_at", request.has_occurred_at(), request.occurred_at());
}

}  // namespace

absl::Status ValidateRecordEvaluation(const v1::RecordEvaluationRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_evaluation()) return MissingField("evaluation");
  const v1::EvaluationRecorded& evaluation = request.evaluation();
  if (absl::Status s = CheckId("evaluation.consortium_id", evaluation.consortium_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckYear("evaluation.program_year", evaluation.program_year()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckGrade("evaluation.grade", evaluation.grade()); !s.ok()) return s;
  if (absl::Status s = CheckScore("evaluation.score", evaluation.score()); !s.ok()) return s;
  if (absl::Status s = CheckText("evaluation.summary", evaluation.summary(), /*required=*/false);
      !s.ok()) {
    return s;
  }
  return CheckTimestamp("evaluation.occurred_at", evaluation.has_occurred_at(),
                        evaluation.occurred_at());
}

absl::Status ValidateCorrectEvaluation(const v1::CorrectEvaluationRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (absl::Status s = CheckId("consortium_id", request.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckEventId("corrects_event_id", request.corrects_event_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckGrade("grade", request.grade()); !s.ok()) return s;
  if (absl::Status s = CheckScore("score", request.score()); !s.ok()) return s;
  if (absl::Status s = CheckText("reason", request.reason(), /*required=*/true); !s.ok()) return s;
  return CheckTimestamp("occurred_at", request.has_occurred_at(), request.occurred_at());
}

absl::Status ValidateSuspendConsortium(const v1::ChangeConsortiumStateRequest& request) {
  return ValidateConsortiumStateChange(request, /*reason_required=*/true);
}

absl::Status ValidateResumeConsortium(const v1::ChangeConsortiumStateRequest& request) {
  return ValidateConsortiumStateChange(request, /*reason_required=*/true);
}

absl::Status ValidateTerminateConsortium(const v1::ChangeConsortiumStateRequest& request) {
  return ValidateConsortiumStateChange(request, /*reason_required=*/true);
}

absl::Status ValidateCompleteConsortium(const v1::ChangeConsortiumStateRequest& request) {
  return ValidateConsortiumStateChange(request, /*reason_required=*/false);
}

}  // namespace alliance::domain
