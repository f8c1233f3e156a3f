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

absl::Status ValidateDesignateLab(const v1::DesignateLabRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_designation()) return MissingField("designation");
  const v1::LabDesignated& lab = request.designation();
  if (absl::Status s = CheckId("designation.consortium_id", lab.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("designation.lab_id", lab.lab_id()); !s.ok()) return s;
  if (absl::Status s = CheckText("designation.lab_name_ko", lab.lab_name_ko(), true); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckParticipantId("designation.university_participant_id",
                                          lab.university_participant_id());
      !s.ok()) {
    return s;
  }
  return CheckTimestamp("designation.occurred_at", lab.has_occurred_at(), lab.occurred_at());
}

absl::Status ValidateRecordHire(const v1::RecordHireRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_hire()) return MissingField("hire");
  const v1::ResearcherHired& hire = request.hire();
  if (absl::Status s = CheckId("hire.consortium_id", hire.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckResearcherId("hire.researcher_id", hire.researcher_id()); !s.ok()) {
    return s;
  }
  if (hire.degree() == v1::DEGREE_UNSPECIFIED) return MissingField("hire.degree");
  if (!v1::Degree_IsValid(hire.degree())) {
    return InvalidField("hire.degree",
                        "must be DEGREE_MASTERS, DEGREE_MASTERS_CANDIDATE, DEGREE_PHD or "
                        "DEGREE_PHD_CANDIDATE (the program trains master's/PhD-level researchers)");
  }
  if (absl::Status s = CheckId("hire.lab_id", hire.lab_id()); !s.ok()) return s;
  if (absl::Status s =
          CheckParticipantId("hire.enterprise_participant_id", hire.enterprise_participant_id());
      !s.ok()) {
    return s;
  }
  return CheckTimestamp("hire.occurred_at", hire.has_occurred_at(), hire.occurred_at());
}

absl::Status ValidateEnrolResearcher(const v1::EnrolResearcherRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_enrolment()) return MissingField("enrolment");
  const v1::ResearcherEnrolled& enrolment = request.enrolment();
  if (absl::Status s = CheckId("enrolment.consortium_id", enrolment.consortium_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckResearcherId("enrolment.researcher_id", enrolment.researcher_id());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckId("enrolment.lab_id", enrolment.lab_id()); !s.ok()) return s;
  if (enrolment.track() == v1::DEGREE_TRACK_UNSPECIFIED) return MissingField("enrolment.track");
  if (!v1::DegreeTrack_IsValid(enrolment.track())) {
    return InvalidField("enrolment.track",
                        "must be DEGREE_TRACK_MASTERS or DEGREE_TRACK_PHD (the program trains "
                        "master's/PhD-level researchers)");
  }
  return CheckTimestamp("enrolment.occurred_at", enrolment.has_occurred_at(),
                        enrolment.occurred_at());
}

absl::Status ValidateRecordGraduation(const v1::RecordGraduationRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (absl::Status s = CheckId("consortium_id", request.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckResearcherId("researcher_id", request.researcher_id()); !s.ok()) {
    return s;
  }
  return CheckTimestamp("occurred_at", request.has_occurred_at(), request.occurred_at());
}

absl::Status ValidateRecordDeparture(const v1::RecordDepartureRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (absl::Status s = CheckId("consortium_id", request.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckResearcherId("researcher_id", request.researcher_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("reason", request.reason(), /*required=*/false); !s.ok()) {
    return s;
  }
  return CheckTimestamp("occurred_at", request.has_occurred_at(), request.occurred_at());
}

absl::Status ValidateRetractResearcherStep(const v1::RetractResearcherStepRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (absl::Status s = CheckId("consortium_id", request.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckEventId("corrects_event_id", request.corrects_event_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("reason", request.reason(), /*required=*/true); !s.ok()) return s;
  return CheckTimestamp("occurred_at", request.has_occurred_at(), request.occurred_at());
}

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
