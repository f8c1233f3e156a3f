// Oversight (oversight.h): annual evaluations and the consortium's states.
#include "services/domain/oversight.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "proto/errors/refusal.h"
#include "services/domain/command_row.h"
#include "services/domain/rules.h"
#include "services/domain/validation.h"

namespace alliance::domain {
namespace {

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

const v1::Evaluation* FindEvaluationByEvent(const v1::ConsortiumStatus& consortium,
                                            const std::string& event_id) {
  for (const v1::Evaluation& evaluation : consortium.evaluations()) {
    if (evaluation.event_id() == event_id) return &evaluation;
  }
  return nullptr;
}

}  // namespace

// ---- Validation -------------------------------------------------------------------

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

// ---- Rules --------------------------------------------------------------------------

absl::StatusOr<v1::Event> DecideRecordEvaluation(const LedgerState& state,
                                                 const v1::RecordEvaluationRequest& request) {
  const v1::EvaluationRecorded& evaluation = request.evaluation();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, evaluation.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(evaluation.consortium_id());
  if (absl::Status s =
          CheckProgramYear(RulesOf(state, *consortium), *consortium, evaluation.program_year());
      !s.ok()) {
    return s;
  }
  for (const v1::Evaluation& earlier : consortium->evaluations()) {
    if (earlier.program_year() != evaluation.program_year()) continue;
    return Refuse(
        absl::StatusCode::kAlreadyExists, "EVALUATION_ALREADY_RECORDED",
        absl::StrCat("consortium ", consortium->consortium_id(), "'s ", evaluation.program_year(),
                     " evaluation is recorded (", v1::EvaluationGrade_Name(earlier.grade()),
                     ", event ", earlier.event_id(), "); change it with CorrectEvaluation"),
        {{"consortium_id", consortium->consortium_id()},
         {"program_year", absl::StrCat(evaluation.program_year())},
         {"original_event_id", earlier.event_id()}});
  }
  v1::Event event;
  *event.mutable_evaluation_recorded() = evaluation;
  return event;
}

absl::StatusOr<v1::Event> DecideCorrectEvaluation(const LedgerState& state,
                                                  const v1::CorrectEvaluationRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  const v1::Evaluation* evaluation =
      FindEvaluationByEvent(*consortium, request.corrects_event_id());
  if (evaluation == nullptr) {
    return Refuse(absl::StatusCode::kNotFound, "EVALUATION_NOT_FOUND",
                  absl::StrCat("event ", request.corrects_event_id(),
                               " is not the evaluation in effect of any year of consortium ",
                               consortium->consortium_id(),
                               "; name the year's EvaluationRecorded or its latest correction"),
                  {{"consortium_id", consortium->consortium_id()},
                   {"corrects_event_id", request.corrects_event_id()}});
  }
  v1::Event event;
  v1::EvaluationCorrected* corrected = event.mutable_evaluation_corrected();
  corrected->set_consortium_id(request.consortium_id());
  corrected->set_corrects_event_id(request.corrects_event_id());
  corrected->set_program_year(evaluation->program_year());
  corrected->set_grade(request.grade());
  corrected->set_score(request.score());
  corrected->set_reason(request.reason());
  *corrected->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideSuspendConsortium(const LedgerState& state,
                                                  const v1::ChangeConsortiumStateRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  if (absl::Status s = RequireActive(*consortium, "only an active consortium can be suspended");
      !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::ConsortiumSuspended* suspended = event.mutable_consortium_suspended();
  suspended->set_consortium_id(request.consortium_id());
  suspended->set_reason(request.reason());
  *suspended->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideResumeConsortium(const LedgerState& state,
                                                 const v1::ChangeConsortiumStateRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  if (absl::Status s =
          RequireState(*consortium, v1::CONSORTIUM_STATE_SUSPENDED, "CONSORTIUM_NOT_SUSPENDED",
                       "only a suspended consortium can be resumed");
      !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::ConsortiumResumed* resumed = event.mutable_consortium_resumed();
  resumed->set_consortium_id(request.consortium_id());
  resumed->set_reason(request.reason());
  *resumed->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideTerminateConsortium(
    const LedgerState& state, const v1::ChangeConsortiumStateRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  if (absl::Status s = RequireNotClosed(*consortium, "it cannot be terminated again"); !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::ConsortiumTerminated* terminated = event.mutable_consortium_terminated();
  terminated->set_consortium_id(request.consortium_id());
  terminated->set_reason(request.reason());
  *terminated->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideCompleteConsortium(
    const LedgerState& state, const v1::ChangeConsortiumStateRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  if (absl::Status s = RequireActive(*consortium, "only an active consortium completes its term");
      !s.ok()) {
    return s;
  }
  const absl::Time occurred_at = absl::FromUnixSeconds(request.occurred_at().seconds());
  const int64_t year = absl::ToCivilYear(occurred_at, absl::UTCTimeZone()).year();
  if (year < consortium->term_last_year()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "TERM_NOT_OVER",
                  absl::StrCat("consortium ", consortium->consortium_id(), "'s term runs to ",
                               consortium->term_last_year(), "; it cannot complete in ", year,
                               " (terminate it to end it early)"),
                  {{"consortium_id", consortium->consortium_id()},
                   {"term_last_year", absl::StrCat(consortium->term_last_year())},
                   {"year", absl::StrCat(year)}});
  }
  v1::Event event;
  v1::ConsortiumCompleted* completed = event.mutable_consortium_completed();
  completed->set_consortium_id(request.consortium_id());
  *completed->mutable_occurred_at() = request.occurred_at();
  return event;
}

// ---- The rows ----------------------------------------------------------------

namespace {

std::string RecordEvaluationStream(const v1::RecordEvaluationRequest& r) {
  return ConsortiumStreamId(r.evaluation().consortium_id());
}
using StateChange = v1::ChangeConsortiumStateRequest;

}  // namespace

const std::vector<CommandSpec>& OversightCommands() {
  static const std::vector<CommandSpec>* const rows = new std::vector<CommandSpec>{
      Row<v1::RecordEvaluationRequest, RecordEvaluationStream, ValidateRecordEvaluation,
          DecideRecordEvaluation>("RecordEvaluation", kByManagingAgency),
      Row<v1::CorrectEvaluationRequest, FlatStream<v1::CorrectEvaluationRequest>,
          ValidateCorrectEvaluation, DecideCorrectEvaluation>("CorrectEvaluation",
                                                              kByManagingAgency),
      Row<StateChange, FlatStream<StateChange>, ValidateSuspendConsortium, DecideSuspendConsortium>(
          "SuspendConsortium", kByMinistry),
      Row<StateChange, FlatStream<StateChange>, ValidateResumeConsortium, DecideResumeConsortium>(
          "ResumeConsortium", kByMinistry),
      Row<StateChange, FlatStream<StateChange>, ValidateTerminateConsortium,
          DecideTerminateConsortium>("TerminateConsortium", kByMinistry),
      Row<StateChange, FlatStream<StateChange>, ValidateCompleteConsortium,
          DecideCompleteConsortium>("CompleteConsortium", kByMinistry),
  };
  return *rows;
}

}  // namespace alliance::domain
