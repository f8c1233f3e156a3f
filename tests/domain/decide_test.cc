// The program's rules (domain.md rules 1, 3, 4, 5), one test a rule: given
// earlier events, when a command, then this event or this refusal.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/domain/lifecycle_fixture.h"

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

// ---- DesignateLab (rule 4) --------------------------------------------------------------

TEST(DesignateLab, Lab_AcceptedForAUniversityOfTheConsortium) {
  Ledger ledger;
  ledger.Given2023();
  absl::StatusOr<v1::EventEnvelope> event =
      ledger.Record(Lab(kChungnam, "kongju-future-vehicle-lab", Pid("kongju-univ")));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->payload().lab_designated().lab_id(), "kongju-future-vehicle-lab");
  EXPECT_EQ(event->stream_id(), "consortium-chungnam-future-vehicles");
}

TEST(DesignateLab, Lab_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab("seoul-ai", "lab", Pid("kongju-univ"))).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "seoul-ai"}}));
}

TEST(DesignateLab, Lab_RefusedWhenUniversityIsNotInTheConsortium) {
  Ledger ledger;
  ledger.Given2023();
  // Changwon National University belongs to the Gyeongnam consortium.
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab(kChungnam, "lab", Pid("changwon-univ"))).status(),
                        StatusCode::kFailedPrecondition, "LAB_UNIVERSITY_NOT_IN_CONSORTIUM",
                        {{"participant_id", Pid("changwon-univ")}, {"role", ""}}));
}

TEST(DesignateLab, Lab_RefusedWhenHostIsNotAUniversity) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(
      ledger.Record(Lab(kChungnam, "lab", Pid("katech"))).status(), StatusCode::kFailedPrecondition,
      "LAB_UNIVERSITY_NOT_IN_CONSORTIUM",
      {{"participant_id", Pid("katech")}, {"role", "PARTICIPANT_ROLE_RESEARCH_INSTITUTE"}}));
}

TEST(DesignateLab, Lab_RefusedWhenAlreadyDesignatedInTheConsortium) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Lab(kChungnam, "kongju-lab", Pid("kongju-univ")));
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab(kChungnam, "kongju-lab", Pid("kongju-univ"))).status(),
                        StatusCode::kAlreadyExists, "LAB_ALREADY_DESIGNATED",
                        {{"lab_id", "kongju-lab"}}));
  // The same lab id is another consortium's own.
  EXPECT_TRUE(ledger.Record(Lab(kUlsan, "kongju-lab", Pid("ulsan-univ"))).ok());
}

// ---- RecordHire (rule 5) -----------------------------------------------------------------

class RecordHire : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Given2023();
    ledger_.Given(Lab(kChungnam, "kongju-lab", Pid("kongju-univ")));
    ledger_.Given(Enrolment(kChungnam, "kongju-2023-007", "kongju-lab"));
    ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  }
  Ledger ledger_;
};

TEST_F(RecordHire, Hire_AcceptedForAResearcherOfTheLabHiredByAnEnterpriseOfTheConsortium) {
  absl::StatusOr<v1::EventEnvelope> event =
      ledger_.Record(HireOf(kChungnam, "kongju-2023-007", "kongju-lab", Pid("conex")));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->payload().researcher_hired().researcher_id(), "kongju-2023-007");
}

TEST_F(RecordHire, Hire_RefusedWhenConsortiumNotFound) {
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf("nowhere", "r-1", "kongju-lab", Pid("conex"))).status(),
                StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND"));
}

TEST_F(RecordHire, Hire_RefusedWhenLabNotDesignatedInTheConsortium) {
  ledger_.Given(Lab(kUlsan, "ulsan-lab", Pid("ulsan-univ")));
  // Ulsan's lab is not Chungnam's.
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf(kChungnam, "r-1", "ulsan-lab", Pid("conex"))).status(),
                StatusCode::kFailedPrecondition, "LAB_NOT_DESIGNATED",
                {{"lab_id", "ulsan-lab"}, {"consortium_id", std::string(kChungnam)}}));
}

TEST_F(RecordHire, Hire_RefusedWhenEnterpriseIsNotAMidsizedEnterpriseOfTheConsortium) {
  // Korea PTG is Ulsan's enterprise; KATECH is Chungnam's but a research institute.
  for (const std::string& hirer : {Pid("korea-ptg"), Pid("katech")}) {
    EXPECT_TRUE(IsRefusal(
        ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", hirer)).status(),
        StatusCode::kFailedPrecondition, "ENTERPRISE_NOT_IN_CONSORTIUM",
        {{"participant_id", hirer}, {"required_role", "PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE"}}));
  }
}

TEST_F(RecordHire, Hire_RefusedWhenResearcherNotEnrolled) {
  EXPECT_TRUE(IsRefusal(
      ledger_.Record(HireOf(kChungnam, "never-enrolled", "kongju-lab", Pid("conex"))).status(),
      StatusCode::kFailedPrecondition, "RESEARCHER_NOT_ENROLLED",
      {{"researcher_id", "never-enrolled"}}));
}

TEST_F(RecordHire, Hire_RefusedWhenNamingAnotherLabThanTheEnrolment) {
  ledger_.Given(Lab(kChungnam, "second-lab", Pid("kongju-univ")));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf(kChungnam, "r-1", "second-lab", Pid("conex"))).status(),
                StatusCode::kFailedPrecondition, "RESEARCHER_NOT_IN_LAB",
                {{"lab_id", "second-lab"}, {"enrolled_lab_id", "kongju-lab"}}));
}

TEST_F(RecordHire, Hire_DegreeMustMatchTheRecord_CandidateBeforeGraduationDegreeAfter) {
  v1::RecordHireRequest graduate_degree = HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"));
  graduate_degree.mutable_hire()->set_degree(v1::DEGREE_MASTERS);
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(graduate_degree).status(), StatusCode::kFailedPrecondition,
                "DEGREE_DOES_NOT_MATCH_RECORD",
                {{"degree", "DEGREE_MASTERS"}, {"expected_degree", "DEGREE_MASTERS_CANDIDATE"}}));
  ledger_.Given(Graduation(kChungnam, "r-1", "2024-02-20T00:00:00Z"));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"))).status(),
                StatusCode::kFailedPrecondition, "DEGREE_DOES_NOT_MATCH_RECORD",
                {{"degree", "DEGREE_MASTERS_CANDIDATE"}, {"expected_degree", "DEGREE_MASTERS"}}));
  EXPECT_TRUE(ledger_.Record(graduate_degree).ok());
}

TEST_F(RecordHire, Hire_RefusedWhenDatedBeforeTheEnrolment) {
  EXPECT_TRUE(IsRefusal(
      ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"), "2023-08-31T00:00:00Z"))
          .status(),
      StatusCode::kFailedPrecondition, "STEP_BEFORE_PREVIOUS_STEP",
      {{"previous_step_occurred_at", "2023-09-01T00:00:00Z"}}));
}

TEST_F(RecordHire, Hire_RefusedWhenEnterpriseHasWithdrawn) {
  ledger_.Given(Joining(kChungnam, Member(Pid("third-enterprise"), "셋째기업",
                                          v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)));
  ledger_.Given(Withdrawal(kChungnam, Pid("conex")));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"))).status(),
                StatusCode::kFailedPrecondition, "ENTERPRISE_NOT_IN_CONSORTIUM",
                {{"participant_id", Pid("conex")}}));
  EXPECT_TRUE(ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("third-enterprise"))).ok());
}

TEST_F(RecordHire, Hire_RefusedWhenResearcherAlreadyHiredInTheConsortium) {
  v1::EventEnvelope first =
      ledger_.Given(HireOf(kChungnam, "kongju-2023-007", "kongju-lab", Pid("conex")));
  EXPECT_TRUE(IsRefusal(
      ledger_.Record(HireOf(kChungnam, "kongju-2023-007", "kongju-lab", Pid("yongsan"))).status(),
      StatusCode::kAlreadyExists, "RESEARCHER_ALREADY_HIRED",
      {{"researcher_id", "kongju-2023-007"}, {"original_event_id", first.event_id()}}));
}

}  // namespace
}  // namespace alliance::domain::testing
