// What the validation tests share (validation_test.cc and the validation
// half of each concept's test): requests of ledger_fixture.h for the one
// consortium they use, each valid as it stands, and a runner for a table of
// bad fields.
//
//   namespace alliance::domain::testing::validation {
//   ExpectRefusals<R>(ValidateSignAgreement, WithMeta(Agreement2023()),
//                     {{[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"}});
//
// In a namespace of their own: a request here takes fewer arguments than
// ledger_fixture.h's of the same name (Lab("kongju-univ") for
// Lab(kChungnam, "lab", Pid("kongju-univ"))) and hides it in the tests
// written inside the namespace, so rule tests in the same file keep
// ledger_fixture.h's.
#ifndef ALLIANCE_TESTS_DOMAIN_VALIDATION_FIXTURE_H_
#define ALLIANCE_TESTS_DOMAIN_VALIDATION_FIXTURE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/commands.pb.h"
#include "gtest/gtest.h"
#include "services/domain/validation.h"
#include "tests/domain/ledger_fixture.h"

namespace alliance::domain::testing::validation {

inline constexpr char kMissing[] = "MISSING_FIELD";
inline constexpr char kInvalid[] = "INVALID_FIELD";

// ---- Requests: ledger_fixture.h's, for the one consortium the tests use ---------------

namespace fixture = ::alliance::domain::testing;

inline v1::DesignateLabRequest Lab(absl::string_view university) {
  return fixture::Lab(kChungnam, "lab", Pid(university));
}
inline v1::ReverseDisbursementRequest Reversal(absl::string_view corrects_event_id) {
  return fixture::Reversal(kChungnam, corrects_event_id);
}
inline v1::RecordHireRequest HireOf(absl::string_view researcher_id) {
  return fixture::HireOf(kChungnam, researcher_id, "lab", Pid("conex"));
}
inline v1::OpenSelectionRoundRequest Round2024() { return Round(2024, 3); }
inline v1::SignAgreementRequest Agreement2023() { return Agreement(kChungnam, 2023); }
inline v1::AmendAgreementRequest Amendment2023() {
  return Amendment(kChungnam, 2023, 1'200'000'000);
}
inline v1::JoinConsortiumRequest Joining() {
  return fixture::Joining(kChungnam, Member(Pid("new-enterprise"), "주식회사 새기업",
                                            v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE));
}
inline v1::WithdrawParticipantRequest Withdrawal() {
  return fixture::Withdrawal(kChungnam, Pid("yongsan"));
}
inline v1::EnrolResearcherRequest Enrolment() {
  return fixture::Enrolment(kChungnam, "kongju-2023-007", "lab");
}
inline v1::RecordGraduationRequest Graduation() {
  return fixture::Graduation(kChungnam, "kongju-2023-007");
}
inline v1::RecordDepartureRequest Departure() {
  return fixture::Departure(kChungnam, "kongju-2023-007");
}
inline v1::RetractResearcherStepRequest Retraction() {
  return fixture::Retraction(kChungnam, EventIdFor(7));
}
inline v1::RecordEvaluationRequest Evaluation2023() {
  v1::RecordEvaluationRequest request =
      Evaluation(kChungnam, 2023, v1::EVALUATION_GRADE_EXCELLENT, 92);
  request.mutable_evaluation()->set_summary("목표 초과 달성");
  return request;
}
inline v1::CorrectEvaluationRequest EvaluationCorrection() {
  return fixture::EvaluationCorrection(kChungnam, EventIdFor(9), v1::EVALUATION_GRADE_SATISFACTORY,
                                       78);
}
inline v1::ChangeConsortiumStateRequest StateChange() { return fixture::StateChange(kChungnam); }

// A text longer than any text field allows.
inline const std::string kTooLong(kTextLengthMax + 1, 'x');

// ---- Matchers and tables --------------------------------------------------------------

inline bool Contains(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

// One malformed request: `change` applied to a valid one must be refused
// with `reason` naming `field`.
template <typename Request>
struct BadField {
  std::function<void(Request*)> change;
  const char* reason;
  const char* field;
};

// `valid` passes `validate`, and each of `bad` is refused as it says.
template <typename Request>
void ExpectRefusals(absl::Status (*validate)(const Request&), const Request& valid,
                    const std::vector<BadField<Request>>& bad) {
  absl::Status status = validate(valid);
  EXPECT_TRUE(status.ok()) << status;
  for (const BadField<Request>& b : bad) {
    Request request = valid;
    b.change(&request);
    EXPECT_TRUE(IsFieldRefusal(validate(request), b.reason, b.field)) << b.field;
  }
}

}  // namespace alliance::domain::testing::validation

#endif  // ALLIANCE_TESTS_DOMAIN_VALIDATION_FIXTURE_H_
