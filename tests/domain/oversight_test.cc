// Oversight (services/domain/oversight.h), given/when/then. Validation:
// each bad request refused with INVALID_ARGUMENT naming the field. Rules:
// given earlier events, when a command, then this event or this refusal,
// one test a reason in the order oversight.h lists them; and what the fold
// makes of evaluations and states.
#include "services/domain/oversight.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "alliance/v1/commands.pb.h"
#include "gtest/gtest.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/domain/lifecycle_fixture.h"
#include "tests/domain/validation_fixture.h"

// ---- Validation -------------------------------------------------------------------

namespace alliance::domain::testing::validation {
namespace {

TEST(Validate, RecordEvaluation) {
  using R = v1::RecordEvaluationRequest;
  auto evaluation = [](R* r) { return r->mutable_evaluation(); };
  ExpectRefusals<R>(
      ValidateRecordEvaluation, WithMeta(Evaluation2023()),
      {
          {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
          {[](R* r) { r->clear_evaluation(); }, kMissing, "evaluation"},
          {[&](R* r) { evaluation(r)->clear_consortium_id(); }, kMissing,
           "evaluation.consortium_id"},
          {[&](R* r) { evaluation(r)->clear_program_year(); }, kMissing, "evaluation.program_year"},
          {[&](R* r) { evaluation(r)->set_program_year(20230); }, kInvalid,
           "evaluation.program_year"},
          {[&](R* r) { evaluation(r)->set_grade(v1::EVALUATION_GRADE_UNSPECIFIED); }, kMissing,
           "evaluation.grade"},
          {[&](R* r) { evaluation(r)->set_grade(static_cast<v1::EvaluationGrade>(5)); }, kInvalid,
           "evaluation.grade"},
          {[&](R* r) { evaluation(r)->set_score(-1); }, kInvalid, "evaluation.score"},
          {[&](R* r) { evaluation(r)->set_score(kEvaluationScoreMax + 1); }, kInvalid,
           "evaluation.score"},
          {[&](R* r) { evaluation(r)->set_summary(kTooLong); }, kInvalid, "evaluation.summary"},
          {[&](R* r) { evaluation(r)->clear_occurred_at(); }, kMissing, "evaluation.occurred_at"},
      });
  // Not scored, no summary; the top score.
  R request = WithMeta(Evaluation2023());
  request.mutable_evaluation()->clear_score();
  request.mutable_evaluation()->clear_summary();
  EXPECT_TRUE(ValidateRecordEvaluation(request).ok());
  request.mutable_evaluation()->set_score(kEvaluationScoreMax);
  EXPECT_TRUE(ValidateRecordEvaluation(request).ok());
}

TEST(Validate, CorrectEvaluation) {
  using R = v1::CorrectEvaluationRequest;
  ExpectRefusals<R>(
      ValidateCorrectEvaluation, WithMeta(EvaluationCorrection()),
      {
          {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
          {[](R* r) { r->clear_consortium_id(); }, kMissing, "consortium_id"},
          {[](R* r) { r->clear_corrects_event_id(); }, kMissing, "corrects_event_id"},
          {[](R* r) { r->set_corrects_event_id("2023"); }, kInvalid, "corrects_event_id"},
          {[](R* r) { r->set_grade(v1::EVALUATION_GRADE_UNSPECIFIED); }, kMissing, "grade"},
          {[](R* r) { r->set_grade(static_cast<v1::EvaluationGrade>(-1)); }, kInvalid, "grade"},
          {[](R* r) { r->set_score(101); }, kInvalid, "score"},
          {[](R* r) { r->set_score(-5); }, kInvalid, "score"},
          {[](R* r) { r->clear_reason(); }, kMissing, "reason"},
          {[](R* r) { r->clear_occurred_at(); }, kMissing, "occurred_at"},
      });
}

TEST(Validate, ConsortiumStateChanges) {
  using R = v1::ChangeConsortiumStateRequest;
  const std::vector<BadField<R>> always = {
      {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
      {[](R* r) { r->clear_consortium_id(); }, kMissing, "consortium_id"},
      {[](R* r) { r->set_consortium_id("UPPER"); }, kInvalid, "consortium_id"},
      {[](R* r) { r->set_reason(kTooLong); }, kInvalid, "reason"},
      {[](R* r) { r->clear_occurred_at(); }, kMissing, "occurred_at"},
  };
  std::vector<BadField<R>> with_reason = always;
  with_reason.push_back({[](R* r) { r->clear_reason(); }, kMissing, "reason"});
  for (auto validate :
       {&ValidateSuspendConsortium, &ValidateResumeConsortium, &ValidateTerminateConsortium}) {
    ExpectRefusals<R>(validate, WithMeta(StateChange()), with_reason);
  }
  ExpectRefusals<R>(ValidateCompleteConsortium, WithMeta(StateChange()), always);
  R request = WithMeta(StateChange());
  request.clear_reason();  // optional to complete
  EXPECT_TRUE(ValidateCompleteConsortium(request).ok());
}

}  // namespace
}  // namespace alliance::domain::testing::validation

// ---- Rules --------------------------------------------------------------------------

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

// ---- RecordEvaluation ---------------------------------------------------------------------

TEST(RecordEvaluation, Evaluation_AcceptedAsEvaluationRecorded_AndInEffect) {
  Ledger ledger;
  ledger.Given2023();
  v1::RecordEvaluationRequest request =
      Evaluation(kChungnam, 2023, v1::EVALUATION_GRADE_SATISFACTORY, 72);
  request.mutable_evaluation()->set_summary("on plan");
  absl::StatusOr<v1::EventEnvelope> event = ledger.Record(request);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "EvaluationRecorded");
  const v1::EvaluationRecorded& recorded = event->payload().evaluation_recorded();
  EXPECT_EQ(recorded.consortium_id(), kChungnamId);
  EXPECT_EQ(recorded.program_year(), 2023);
  EXPECT_EQ(recorded.grade(), v1::EVALUATION_GRADE_SATISFACTORY);
  EXPECT_EQ(recorded.score(), 72);
  EXPECT_EQ(recorded.summary(), "on plan");

  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  ASSERT_EQ(chungnam.evaluations_size(), 1);
  const v1::Evaluation& evaluation = chungnam.evaluations(0);
  EXPECT_EQ(evaluation.program_year(), 2023);
  EXPECT_EQ(evaluation.grade(), v1::EVALUATION_GRADE_SATISFACTORY);
  EXPECT_EQ(evaluation.score(), 72);
  EXPECT_EQ(evaluation.summary(), "on plan");
  EXPECT_EQ(evaluation.evaluated_at().seconds(), At("2024-02-15T00:00:00Z").seconds());
  EXPECT_EQ(evaluation.event_id(), event->event_id());
  EXPECT_EQ(evaluation.original_event_id(), event->event_id());
  EXPECT_EQ(evaluation.correction_count(), 0);
}

TEST(RecordEvaluation, Evaluation_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(
      IsRefusal(ledger.Record(Evaluation("nowhere", 2023, v1::EVALUATION_GRADE_EXCELLENT)).status(),
                StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND", {{"consortium_id", "nowhere"}}));
}

TEST(RecordEvaluation, Evaluation_RefusedForAYearOutsideTheTerm) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(
      IsRefusal(ledger.Record(Evaluation(kChungnam, 2028, v1::EVALUATION_GRADE_EXCELLENT)).status(),
                StatusCode::kFailedPrecondition, "PROGRAM_YEAR_OUTSIDE_TERM",
                {{"consortium_id", kChungnamId},
                 {"program_year", "2028"},
                 {"term_first_year", "2023"},
                 {"term_last_year", "2027"}}));
}

TEST(RecordEvaluation, Evaluation_RefusedWhenTheYearIsRecorded) {
  Ledger ledger;
  ledger.Given2023();
  v1::EventEnvelope first =
      ledger.Given(Evaluation(kChungnam, 2023, v1::EVALUATION_GRADE_SATISFACTORY));
  absl::Status status =
      ledger.Record(Evaluation(kChungnam, 2023, v1::EVALUATION_GRADE_EXCELLENT)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kAlreadyExists, "EVALUATION_ALREADY_RECORDED",
                        {{"consortium_id", kChungnamId},
                         {"program_year", "2023"},
                         {"original_event_id", first.event_id()}}));
  EXPECT_NE(status.message().find("CorrectEvaluation"), absl::string_view::npos) << status;
  // Another year is another evaluation; the years stay in order.
  ASSERT_TRUE(ledger.Record(Evaluation(kChungnam, 2025, v1::EVALUATION_GRADE_POOR)).ok());
  ASSERT_TRUE(ledger.Record(Evaluation(kChungnam, 2024, v1::EVALUATION_GRADE_EXCELLENT)).ok());
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  ASSERT_EQ(chungnam.evaluations_size(), 3);
  EXPECT_EQ(chungnam.evaluations(0).program_year(), 2023);
  EXPECT_EQ(chungnam.evaluations(1).program_year(), 2024);
  EXPECT_EQ(chungnam.evaluations(2).program_year(), 2025);
}

TEST(RecordEvaluation, Evaluation_AcceptedWhateverTheConsortiumsState) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  GivenState(ledger, StateCommand::kTerminate, StateChange(kGyeongnam));
  EXPECT_TRUE(ledger.Record(Evaluation(kChungnam, 2023, v1::EVALUATION_GRADE_POOR)).ok());
  EXPECT_TRUE(ledger.Record(Evaluation(kGyeongnam, 2023, v1::EVALUATION_GRADE_POOR)).ok());
}

// ---- CorrectEvaluation --------------------------------------------------------------------

TEST(CorrectEvaluation, Correction_AcceptedWithTheYearOfTheEvaluation_AndInEffect) {
  Ledger ledger;
  ledger.Given2023();
  v1::EventEnvelope recorded =
      ledger.Given(Evaluation(kChungnam, 2024, v1::EVALUATION_GRADE_UNSATISFACTORY, 55));
  absl::StatusOr<v1::EventEnvelope> first = ledger.Record(
      EvaluationCorrection(kChungnam, recorded.event_id(), v1::EVALUATION_GRADE_SATISFACTORY, 65));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->event_type(), "EvaluationCorrected");
  const v1::EvaluationCorrected& corrected = first->payload().evaluation_corrected();
  EXPECT_EQ(corrected.consortium_id(), kChungnamId);
  EXPECT_EQ(corrected.corrects_event_id(), recorded.event_id());
  EXPECT_EQ(corrected.program_year(), 2024);
  EXPECT_EQ(corrected.grade(), v1::EVALUATION_GRADE_SATISFACTORY);
  EXPECT_EQ(corrected.score(), 65);
  EXPECT_EQ(corrected.reason(), "score sheet mis-added");

  const v1::Evaluation& evaluation = ConsortiumIn(ledger, kChungnam).evaluations(0);
  EXPECT_EQ(evaluation.program_year(), 2024);
  EXPECT_EQ(evaluation.grade(), v1::EVALUATION_GRADE_SATISFACTORY);
  EXPECT_EQ(evaluation.score(), 65);
  EXPECT_EQ(evaluation.event_id(), first->event_id());
  EXPECT_EQ(evaluation.original_event_id(), recorded.event_id());
  EXPECT_EQ(evaluation.correction_count(), 1);

  // The next correction names the one in effect.
  absl::StatusOr<v1::EventEnvelope> second = ledger.Record(
      EvaluationCorrection(kChungnam, first->event_id(), v1::EVALUATION_GRADE_EXCELLENT, 91));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->payload().evaluation_corrected().program_year(), 2024);
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  ASSERT_EQ(chungnam.evaluations_size(), 1);
  EXPECT_EQ(chungnam.evaluations(0).grade(), v1::EVALUATION_GRADE_EXCELLENT);
  EXPECT_EQ(chungnam.evaluations(0).score(), 91);
  EXPECT_EQ(chungnam.evaluations(0).event_id(), second->event_id());
  EXPECT_EQ(chungnam.evaluations(0).original_event_id(), recorded.event_id());
  EXPECT_EQ(chungnam.evaluations(0).correction_count(), 2);
}

TEST(CorrectEvaluation, Correction_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  v1::EventEnvelope recorded =
      ledger.Given(Evaluation(kChungnam, 2023, v1::EVALUATION_GRADE_SATISFACTORY));
  EXPECT_TRUE(IsRefusal(ledger
                            .Record(EvaluationCorrection("nowhere", recorded.event_id(),
                                                         v1::EVALUATION_GRADE_EXCELLENT, 90))
                            .status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "nowhere"}}));
}

TEST(CorrectEvaluation, Correction_RefusedUnlessNamingTheEvaluationInEffect) {
  Ledger ledger;
  ledger.Given2023();
  v1::EventEnvelope recorded =
      ledger.Given(Evaluation(kChungnam, 2023, v1::EVALUATION_GRADE_SATISFACTORY));
  v1::EventEnvelope other = ledger.Given(Evaluation(kUlsan, 2023, v1::EVALUATION_GRADE_POOR));
  ledger.Given(
      EvaluationCorrection(kChungnam, recorded.event_id(), v1::EVALUATION_GRADE_EXCELLENT, 90));
  // An unknown event, the superseded original, another consortium's.
  for (const std::string& id : {EventIdFor(999), recorded.event_id(), other.event_id()}) {
    EXPECT_TRUE(IsRefusal(
        ledger.Record(EvaluationCorrection(kChungnam, id, v1::EVALUATION_GRADE_POOR, 10)).status(),
        StatusCode::kNotFound, "EVALUATION_NOT_FOUND",
        {{"consortium_id", kChungnamId}, {"corrects_event_id", id}}));
  }
}

// ---- Consortium states ------------------------------------------------------------------

TEST(SuspendConsortium, Suspension_AcceptedAsConsortiumSuspended) {
  Ledger ledger;
  ledger.Given2023();
  absl::StatusOr<v1::EventEnvelope> event =
      ledger.RecordState(StateCommand::kSuspend, StateChange(kChungnam));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "ConsortiumSuspended");
  EXPECT_EQ(event->payload().consortium_suspended().consortium_id(), kChungnamId);
  EXPECT_EQ(event->payload().consortium_suspended().reason(), "unsatisfactory annual evaluation");
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  EXPECT_EQ(chungnam.state(), v1::CONSORTIUM_STATE_SUSPENDED);
  ASSERT_EQ(chungnam.state_history_size(), 2);
  EXPECT_EQ(chungnam.state_history(0).state(), v1::CONSORTIUM_STATE_ACTIVE);
  EXPECT_EQ(chungnam.state_history(1).state(), v1::CONSORTIUM_STATE_SUSPENDED);
  EXPECT_EQ(chungnam.state_history(1).event_id(), event->event_id());
  EXPECT_EQ(chungnam.state_history(1).reason(), "unsatisfactory annual evaluation");
  EXPECT_EQ(ProgramIn(ledger).active_count(), 2);
  EXPECT_EQ(ProgramIn(ledger).suspended_count(), 1);
}

TEST(SuspendConsortium, Suspension_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.RecordState(StateCommand::kSuspend, StateChange("nowhere")).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "nowhere"}}));
}

TEST(SuspendConsortium, Suspension_RefusedUnlessActive) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  GivenState(ledger, StateCommand::kTerminate, StateChange(kGyeongnam));
  GivenState(ledger, StateCommand::kComplete, StateChange(kUlsan, kInLastTermYear));
  const std::map<std::string, std::string> states = {{kChungnamId, "CONSORTIUM_STATE_SUSPENDED"},
                                                     {kGyeongnamId, "CONSORTIUM_STATE_TERMINATED"},
                                                     {kUlsanId, "CONSORTIUM_STATE_COMPLETED"}};
  for (const auto& [consortium_id, state] : states) {
    EXPECT_TRUE(
        IsRefusal(ledger.RecordState(StateCommand::kSuspend, StateChange(consortium_id)).status(),
                  StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
                  {{"consortium_id", consortium_id},
                   {"state", state},
                   {"required_state", "CONSORTIUM_STATE_ACTIVE"}}));
  }
}

TEST(ResumeConsortium, Resumption_AcceptedAsConsortiumResumed_ActiveAgain) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  absl::StatusOr<v1::EventEnvelope> event =
      ledger.RecordState(StateCommand::kResume, StateChange(kChungnam, "2024-05-01T00:00:00Z"));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "ConsortiumResumed");
  EXPECT_EQ(event->payload().consortium_resumed().consortium_id(), kChungnamId);
  EXPECT_EQ(event->payload().consortium_resumed().reason(), "unsatisfactory annual evaluation");
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  EXPECT_EQ(chungnam.state(), v1::CONSORTIUM_STATE_ACTIVE);
  ASSERT_EQ(chungnam.state_history_size(), 3);
  EXPECT_EQ(chungnam.state_history(2).state(), v1::CONSORTIUM_STATE_ACTIVE);
  EXPECT_EQ(chungnam.state_history(2).event_id(), event->event_id());
  EXPECT_EQ(ProgramIn(ledger).active_count(), 3);
  EXPECT_EQ(ProgramIn(ledger).suspended_count(), 0);
}

TEST(ResumeConsortium, Resumption_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.RecordState(StateCommand::kResume, StateChange("nowhere")).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "nowhere"}}));
}

TEST(ResumeConsortium, Resumption_RefusedUnlessSuspended) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kTerminate, StateChange(kGyeongnam));
  EXPECT_TRUE(IsRefusal(ledger.RecordState(StateCommand::kResume, StateChange(kChungnam)).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_SUSPENDED",
                        {{"consortium_id", kChungnamId},
                         {"state", "CONSORTIUM_STATE_ACTIVE"},
                         {"required_state", "CONSORTIUM_STATE_SUSPENDED"}}));
  EXPECT_TRUE(IsRefusal(ledger.RecordState(StateCommand::kResume, StateChange(kGyeongnam)).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_SUSPENDED",
                        {{"state", "CONSORTIUM_STATE_TERMINATED"}}));
}

TEST(TerminateConsortium, Termination_AcceptedFromActiveOrSuspended) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kGyeongnam));
  for (absl::string_view consortium_id : {kChungnam, kGyeongnam}) {
    absl::StatusOr<v1::EventEnvelope> event =
        ledger.RecordState(StateCommand::kTerminate, StateChange(consortium_id));
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->event_type(), "ConsortiumTerminated");
    EXPECT_EQ(event->payload().consortium_terminated().consortium_id(), consortium_id);
    EXPECT_EQ(event->payload().consortium_terminated().reason(),
              "unsatisfactory annual evaluation");
    EXPECT_EQ(ConsortiumIn(ledger, consortium_id).state(), v1::CONSORTIUM_STATE_TERMINATED);
  }
  EXPECT_EQ(ProgramIn(ledger).active_count(), 1);
  EXPECT_EQ(ProgramIn(ledger).suspended_count(), 0);
  EXPECT_EQ(ProgramIn(ledger).terminated_count(), 2);
}

TEST(TerminateConsortium, Termination_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(
      IsRefusal(ledger.RecordState(StateCommand::kTerminate, StateChange("nowhere")).status(),
                StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND", {{"consortium_id", "nowhere"}}));
}

TEST(TerminateConsortium, Termination_RefusedWhenClosed) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kTerminate, StateChange(kChungnam));
  GivenState(ledger, StateCommand::kComplete, StateChange(kUlsan, kInLastTermYear));
  EXPECT_TRUE(
      IsRefusal(ledger.RecordState(StateCommand::kTerminate, StateChange(kChungnam)).status(),
                StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
                {{"consortium_id", kChungnamId}, {"state", "CONSORTIUM_STATE_TERMINATED"}}));
  EXPECT_TRUE(IsRefusal(
      ledger.RecordState(StateCommand::kTerminate, StateChange(kUlsan, kInLastTermYear)).status(),
      StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
      {{"consortium_id", kUlsanId}, {"state", "CONSORTIUM_STATE_COMPLETED"}}));
}

TEST(CompleteConsortium, Completion_AcceptedInTheTermsLastYearOrLater) {
  Ledger ledger;
  ledger.Given2023();
  for (const auto& [consortium_id, at] :
       {std::pair<absl::string_view, std::string>{kChungnam, "2027-01-01T00:00:00Z"},
        {kUlsan, "2028-03-01T00:00:00Z"}}) {
    v1::ChangeConsortiumStateRequest request = StateChange(consortium_id, at);
    request.clear_reason();  // optional to complete
    absl::StatusOr<v1::EventEnvelope> event = ledger.RecordState(StateCommand::kComplete, request);
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->event_type(), "ConsortiumCompleted");
    EXPECT_EQ(event->payload().consortium_completed().consortium_id(), consortium_id);
    EXPECT_EQ(event->payload().consortium_completed().occurred_at().seconds(), At(at).seconds());
    EXPECT_EQ(ConsortiumIn(ledger, consortium_id).state(), v1::CONSORTIUM_STATE_COMPLETED);
  }
  EXPECT_EQ(ProgramIn(ledger).active_count(), 1);
  EXPECT_EQ(ProgramIn(ledger).completed_count(), 2);
}

TEST(CompleteConsortium, Completion_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(
      ledger.RecordState(StateCommand::kComplete, StateChange("nowhere", kInLastTermYear)).status(),
      StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND", {{"consortium_id", "nowhere"}}));
}

TEST(CompleteConsortium, Completion_RefusedUnlessActive) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  GivenState(ledger, StateCommand::kTerminate, StateChange(kGyeongnam));
  EXPECT_TRUE(IsRefusal(
      ledger.RecordState(StateCommand::kComplete, StateChange(kChungnam, kInLastTermYear)).status(),
      StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
      {{"consortium_id", kChungnamId}, {"state", "CONSORTIUM_STATE_SUSPENDED"}}));
  EXPECT_TRUE(IsRefusal(
      ledger.RecordState(StateCommand::kComplete, StateChange(kGyeongnam, kInLastTermYear))
          .status(),
      StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
      {{"state", "CONSORTIUM_STATE_TERMINATED"}}));
}

TEST(CompleteConsortium, Completion_RefusedBeforeTheTermsLastYear) {
  Ledger ledger;
  ledger.Given2023();
  absl::Status status =
      ledger.RecordState(StateCommand::kComplete, StateChange(kChungnam, "2026-12-31T23:59:59Z"))
          .status();
  EXPECT_TRUE(
      IsRefusal(status, StatusCode::kFailedPrecondition, "TERM_NOT_OVER",
                {{"consortium_id", kChungnamId}, {"term_last_year", "2027"}, {"year", "2026"}}));
  EXPECT_EQ(status.message(),
            "consortium chungnam-future-vehicles's term runs to 2027; it cannot complete in 2026 "
            "(terminate it to end it early)");
}

TEST(ConsortiumState, Program_CountsConsortiaByState_AndTheHistoryKeepsEveryChange) {
  Ledger ledger;
  ledger.Given2023();
  const v1::ProgramSummary& program = ProgramIn(ledger);
  auto counts = [&program] {
    return std::vector<int32_t>{program.active_count(), program.suspended_count(),
                                program.terminated_count(), program.completed_count()};
  };
  EXPECT_EQ(counts(), (std::vector<int32_t>{3, 0, 0, 0}));
  v1::EventEnvelope suspended = GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  EXPECT_EQ(counts(), (std::vector<int32_t>{2, 1, 0, 0}));
  GivenState(ledger, StateCommand::kTerminate, StateChange(kGyeongnam));
  EXPECT_EQ(counts(), (std::vector<int32_t>{1, 1, 1, 0}));
  v1::EventEnvelope resumed = GivenState(ledger, StateCommand::kResume, StateChange(kChungnam));
  EXPECT_EQ(counts(), (std::vector<int32_t>{2, 0, 1, 0}));
  GivenState(ledger, StateCommand::kComplete, StateChange(kUlsan, kInLastTermYear));
  EXPECT_EQ(counts(), (std::vector<int32_t>{1, 0, 1, 1}));
  v1::EventEnvelope terminated =
      GivenState(ledger, StateCommand::kTerminate, StateChange(kChungnam));
  EXPECT_EQ(counts(), (std::vector<int32_t>{0, 0, 2, 1}));

  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  ASSERT_EQ(chungnam.state_history_size(), 4);
  EXPECT_EQ(chungnam.state_history(0).state(), v1::CONSORTIUM_STATE_ACTIVE);
  EXPECT_EQ(chungnam.state_history(0).event_id(), ledger.log()[2].event_id());
  EXPECT_EQ(chungnam.state_history(1).event_id(), suspended.event_id());
  EXPECT_EQ(chungnam.state_history(2).event_id(), resumed.event_id());
  EXPECT_EQ(chungnam.state_history(3).state(), v1::CONSORTIUM_STATE_TERMINATED);
  EXPECT_EQ(chungnam.state_history(3).event_id(), terminated.event_id());
}

}  // namespace
}  // namespace alliance::domain::testing
