// The lifecycle's rules (services/domain/decide.h) on the pure domain: for
// each command, accepted as its event, and refused with the right code and
// reason, one test a reason, in the order decide.h lists them; then what the
// fold makes of the accepted events (stages, counts, memberships, totals).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/domain/lifecycle_fixture.h"

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

// ---- DesignateLab: a closed consortium ----------------------------------------------

TEST(DesignateLab, Lab_RefusedWhenConsortiumClosed) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kTerminate, StateChange(kChungnam));
  GivenState(ledger, StateCommand::kComplete, StateChange(kUlsan, kInLastTermYear));
  EXPECT_TRUE(
      IsRefusal(ledger.Record(Lab(kChungnam, "kongju-lab", Pid("kongju-univ"))).status(),
                StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
                {{"consortium_id", kChungnamId}, {"state", "CONSORTIUM_STATE_TERMINATED"}}));
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab(kUlsan, "ulsan-lab", Pid("ulsan-univ"))).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
                        {{"consortium_id", kUlsanId}, {"state", "CONSORTIUM_STATE_COMPLETED"}}));
}

TEST(DesignateLab, Lab_AcceptedWhileSuspended_ClosedIsCheckedBeforeAlreadyDesignated) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  EXPECT_TRUE(ledger.Record(Lab(kChungnam, "kongju-lab", Pid("kongju-univ"))).ok());
  GivenState(ledger, StateCommand::kTerminate, StateChange(kChungnam));
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab(kChungnam, "kongju-lab", Pid("kongju-univ"))).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED"));
}

TEST(DesignateLab, Lab_RefusedWhenTheHostUniversityHasWithdrawn) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(
      Joining(kChungnam, Member(Pid("hoseo-univ"), "호서대학교", v1::PARTICIPANT_ROLE_UNIVERSITY)));
  ledger.Given(Withdrawal(kChungnam, Pid("hoseo-univ")));
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab(kChungnam, "hoseo-lab", Pid("hoseo-univ"))).status(),
                        StatusCode::kFailedPrecondition, "LAB_UNIVERSITY_NOT_IN_CONSORTIUM",
                        {{"participant_id", Pid("hoseo-univ")}, {"role", ""}}));
}

// ---- EnrolResearcher -----------------------------------------------------------------

// Chungnam with its lab designated.
class Researchers : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Given2023();
    ledger_.Given(Lab(kChungnam, "kongju-lab", Pid("kongju-univ")));
  }

  const v1::Researcher& Researcher(absl::string_view researcher_id) const {
    return ResearcherIn(ConsortiumIn(ledger_, kChungnam), researcher_id);
  }
  const v1::ResearcherCounts& Counts() const {
    return ConsortiumIn(ledger_, kChungnam).researcher_counts();
  }

  // A master's-track researcher hired after graduating, as a hire names it.
  static v1::RecordHireRequest GraduateHire(absl::string_view researcher_id,
                                            absl::string_view enterprise,
                                            const std::string& at = "2025-03-01T00:00:00Z") {
    v1::RecordHireRequest hire = HireOf(kChungnam, researcher_id, "kongju-lab", enterprise, at);
    hire.mutable_hire()->set_degree(v1::DEGREE_MASTERS);
    return hire;
  }

  Ledger ledger_;
};

TEST_F(Researchers, Enrolment_AcceptedAsResearcherEnrolled_AndCounted) {
  absl::StatusOr<v1::EventEnvelope> event =
      ledger_.Record(Enrolment(kChungnam, "r-1", "kongju-lab", v1::DEGREE_TRACK_PHD));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "ResearcherEnrolled");
  const v1::ResearcherEnrolled& enrolled = event->payload().researcher_enrolled();
  EXPECT_EQ(enrolled.consortium_id(), kChungnamId);
  EXPECT_EQ(enrolled.researcher_id(), "r-1");
  EXPECT_EQ(enrolled.lab_id(), "kongju-lab");
  EXPECT_EQ(enrolled.track(), v1::DEGREE_TRACK_PHD);

  const v1::Researcher& researcher = Researcher("r-1");
  EXPECT_EQ(researcher.stage(), v1::RESEARCHER_STAGE_ENROLLED);
  EXPECT_EQ(researcher.lab_id(), "kongju-lab");
  EXPECT_EQ(researcher.track(), v1::DEGREE_TRACK_PHD);
  EXPECT_EQ(researcher.enrolled_at().seconds(), At("2023-09-01T00:00:00Z").seconds());
  EXPECT_EQ(researcher.degree(), v1::DEGREE_UNSPECIFIED);
  ASSERT_EQ(researcher.steps_size(), 1);
  EXPECT_EQ(researcher.steps(0).event_id(), event->event_id());
  EXPECT_EQ(researcher.steps(0).event_type(), "ResearcherEnrolled");
  EXPECT_EQ(researcher.steps(0).global_position(), event->global_position());
  EXPECT_FALSE(researcher.steps(0).retracted());
  EXPECT_EQ(Counts().enrolled(), 1);
  EXPECT_EQ(ProgramIn(ledger_).researcher_counts().enrolled(), 1);
  EXPECT_EQ(YearIn(ProgramIn(ledger_), 2023).enrolment_count(), 1);
}

TEST_F(Researchers, Enrolment_RefusedWhenConsortiumNotFound) {
  EXPECT_TRUE(IsRefusal(ledger_.Record(Enrolment("nowhere", "r-1", "kongju-lab")).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "nowhere"}}));
}

TEST_F(Researchers, Enrolment_RefusedWhenConsortiumNotActive) {
  GivenState(ledger_, StateCommand::kSuspend, StateChange(kChungnam));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Enrolment(kChungnam, "r-1", "kongju-lab")).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
                        {{"consortium_id", kChungnamId},
                         {"state", "CONSORTIUM_STATE_SUSPENDED"},
                         {"required_state", "CONSORTIUM_STATE_ACTIVE"}}));
}

TEST_F(Researchers, Enrolment_RefusedWhenTheIdIsTakenInTheConsortium) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Enrolment(kChungnam, "r-1", "kongju-lab")).status(),
                        StatusCode::kAlreadyExists, "RESEARCHER_ALREADY_ENROLLED",
                        {{"consortium_id", kChungnamId},
                         {"researcher_id", "r-1"},
                         {"stage", "RESEARCHER_STAGE_ENROLLED"}}));
  // Checked before the lab: the id is the first thing wrong.
  EXPECT_TRUE(IsRefusal(ledger_.Record(Enrolment(kChungnam, "r-1", "no-such-lab")).status(),
                        StatusCode::kAlreadyExists, "RESEARCHER_ALREADY_ENROLLED"));
  // A graduate's id stays taken.
  ledger_.Given(Graduation(kChungnam, "r-1"));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Enrolment(kChungnam, "r-1", "kongju-lab")).status(),
                        StatusCode::kAlreadyExists, "RESEARCHER_ALREADY_ENROLLED",
                        {{"stage", "RESEARCHER_STAGE_GRADUATED"}}));
}

TEST_F(Researchers, Enrolment_RefusedWhenTheLabIsNotDesignatedInTheConsortium) {
  ledger_.Given(Lab(kUlsan, "ulsan-lab", Pid("ulsan-univ")));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Enrolment(kChungnam, "r-1", "ulsan-lab")).status(),
                        StatusCode::kFailedPrecondition, "LAB_NOT_DESIGNATED",
                        {{"consortium_id", kChungnamId}, {"lab_id", "ulsan-lab"}}));
}

// ---- RecordGraduation -------------------------------------------------------------------

TEST_F(Researchers, Graduation_AcceptedWithTheDegreeOfTheTrack) {
  ledger_.Given(Enrolment(kChungnam, "masters-1", "kongju-lab", v1::DEGREE_TRACK_MASTERS));
  ledger_.Given(Enrolment(kChungnam, "phd-1", "kongju-lab", v1::DEGREE_TRACK_PHD));
  for (const auto& [researcher_id, degree] :
       {std::pair<std::string, v1::Degree>{"masters-1", v1::DEGREE_MASTERS},
        std::pair<std::string, v1::Degree>{"phd-1", v1::DEGREE_PHD}}) {
    absl::StatusOr<v1::EventEnvelope> event = ledger_.Record(Graduation(kChungnam, researcher_id));
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->event_type(), "ResearcherGraduated");
    const v1::ResearcherGraduated& graduated = event->payload().researcher_graduated();
    EXPECT_EQ(graduated.consortium_id(), kChungnamId);
    EXPECT_EQ(graduated.researcher_id(), researcher_id);
    EXPECT_EQ(graduated.degree(), degree) << researcher_id;
    EXPECT_EQ(graduated.occurred_at().seconds(), At("2025-02-20T00:00:00Z").seconds());

    const v1::Researcher& researcher = Researcher(researcher_id);
    EXPECT_EQ(researcher.stage(), v1::RESEARCHER_STAGE_GRADUATED);
    EXPECT_EQ(researcher.degree(), degree);
    EXPECT_EQ(researcher.graduated_at().seconds(), At("2025-02-20T00:00:00Z").seconds());
  }
  EXPECT_EQ(Counts().graduated(), 2);
  EXPECT_EQ(Counts().enrolled(), 0);
}

TEST_F(Researchers, Graduation_RefusedWhenConsortiumNotFound) {
  EXPECT_TRUE(IsRefusal(ledger_.Record(Graduation("nowhere", "r-1")).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "nowhere"}}));
}

TEST_F(Researchers, Graduation_RefusedWhenResearcherNotFound) {
  EXPECT_TRUE(IsRefusal(ledger_.Record(Graduation(kChungnam, "never-enrolled")).status(),
                        StatusCode::kNotFound, "RESEARCHER_NOT_FOUND",
                        {{"consortium_id", kChungnamId}, {"researcher_id", "never-enrolled"}}));
  // An enrolment retracted is no enrolment.
  v1::EventEnvelope enrolled = ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  ledger_.Given(Retraction(kChungnam, enrolled.event_id()));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Graduation(kChungnam, "r-1")).status(),
                        StatusCode::kNotFound, "RESEARCHER_NOT_FOUND", {{"researcher_id", "r-1"}}));
}

TEST_F(Researchers, Graduation_RefusedWhenAlreadyGraduated) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  ledger_.Given(Graduation(kChungnam, "r-1"));
  absl::Status status =
      ledger_.Record(Graduation(kChungnam, "r-1", "2025-08-20T00:00:00Z")).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "RESEARCHER_ALREADY_GRADUATED",
                        {{"consortium_id", kChungnamId},
                         {"researcher_id", "r-1"},
                         {"stage", "RESEARCHER_STAGE_GRADUATED"}}));
  EXPECT_EQ(status.message(),
            "researcher r-1 graduated on 2025-02-20T00:00:00Z with DEGREE_MASTERS");
  // Hired since, still graduated.
  ledger_.Given(GraduateHire("r-1", Pid("conex")));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(Graduation(kChungnam, "r-1", "2025-08-20T00:00:00Z")).status(),
                StatusCode::kFailedPrecondition, "RESEARCHER_ALREADY_GRADUATED",
                {{"stage", "RESEARCHER_STAGE_HIRED"}}));
}

TEST_F(Researchers, Graduation_RefusedAfterLeavingTheEnterpriseAsACandidate) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex")));
  ledger_.Given(Departure(kChungnam, "r-1", "2024-12-31T00:00:00Z"));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Graduation(kChungnam, "r-1")).status(),
                        StatusCode::kFailedPrecondition, "RESEARCHER_NOT_STUDYING",
                        {{"consortium_id", kChungnamId},
                         {"researcher_id", "r-1"},
                         {"stage", "RESEARCHER_STAGE_LEFT"}}));
}

TEST_F(Researchers, Graduation_AcceptedForACandidateStillHired_WhoStaysHired) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex")));
  ASSERT_TRUE(ledger_.Record(Graduation(kChungnam, "r-1")).ok());
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_HIRED);
  EXPECT_EQ(Researcher("r-1").degree(), v1::DEGREE_MASTERS);
  EXPECT_EQ(Counts().hired(), 1);
  EXPECT_EQ(Counts().graduated(), 0);
}

TEST_F(Researchers, Graduation_RefusedWhenDatedBeforeThePreviousStep) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  v1::EventEnvelope hired = ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex")));
  absl::Status status =
      ledger_.Record(Graduation(kChungnam, "r-1", "2024-02-29T00:00:00Z")).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "STEP_BEFORE_PREVIOUS_STEP",
                        {{"researcher_id", "r-1"},
                         {"occurred_at", "2024-02-29T00:00:00Z"},
                         {"previous_step_event_id", hired.event_id()},
                         {"previous_step_occurred_at", "2024-03-01T00:00:00Z"}}));
  // The same day as the previous step is not before it.
  EXPECT_TRUE(ledger_.Record(Graduation(kChungnam, "r-1", "2024-03-01T00:00:00Z")).ok());
}

// ---- RecordDeparture -------------------------------------------------------------------

TEST_F(Researchers, Departure_AcceptedWithTheEnterpriseOfTheHire) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("yongsan")));
  absl::StatusOr<v1::EventEnvelope> event = ledger_.Record(Departure(kChungnam, "r-1"));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "ResearcherLeft");
  const v1::ResearcherLeft& left = event->payload().researcher_left();
  EXPECT_EQ(left.consortium_id(), kChungnamId);
  EXPECT_EQ(left.researcher_id(), "r-1");
  EXPECT_EQ(left.enterprise_participant_id(), Pid("yongsan"));
  EXPECT_EQ(left.reason(), "moved to another company");

  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_LEFT);
  EXPECT_EQ(Researcher("r-1").left_at().seconds(), At("2026-01-31T00:00:00Z").seconds());
  EXPECT_EQ(Researcher("r-1").enterprise_participant_id(), Pid("yongsan"));
}

TEST_F(Researchers, Departure_RefusedWhenConsortiumNotFound) {
  EXPECT_TRUE(IsRefusal(ledger_.Record(Departure("nowhere", "r-1")).status(), StatusCode::kNotFound,
                        "CONSORTIUM_NOT_FOUND", {{"consortium_id", "nowhere"}}));
}

TEST_F(Researchers, Departure_RefusedWhenResearcherNotFound) {
  EXPECT_TRUE(IsRefusal(ledger_.Record(Departure(kChungnam, "never-enrolled")).status(),
                        StatusCode::kNotFound, "RESEARCHER_NOT_FOUND",
                        {{"consortium_id", kChungnamId}, {"researcher_id", "never-enrolled"}}));
}

TEST_F(Researchers, Departure_RefusedUnlessHired) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Departure(kChungnam, "r-1")).status(),
                        StatusCode::kFailedPrecondition, "RESEARCHER_NOT_HIRED",
                        {{"consortium_id", kChungnamId},
                         {"researcher_id", "r-1"},
                         {"stage", "RESEARCHER_STAGE_ENROLLED"}}));
  ledger_.Given(Graduation(kChungnam, "r-1"));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Departure(kChungnam, "r-1")).status(),
                        StatusCode::kFailedPrecondition, "RESEARCHER_NOT_HIRED",
                        {{"stage", "RESEARCHER_STAGE_GRADUATED"}}));
  // Leaving twice: the second time the researcher is no longer employed.
  ledger_.Given(GraduateHire("r-1", Pid("conex")));
  ledger_.Given(Departure(kChungnam, "r-1"));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(Departure(kChungnam, "r-1", "2026-06-30T00:00:00Z")).status(),
                StatusCode::kFailedPrecondition, "RESEARCHER_NOT_HIRED",
                {{"stage", "RESEARCHER_STAGE_LEFT"}}));
}

TEST_F(Researchers, Departure_RefusedWhenDatedBeforeTheHire) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  v1::EventEnvelope hired = ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex")));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(Departure(kChungnam, "r-1", "2024-02-01T00:00:00Z")).status(),
                StatusCode::kFailedPrecondition, "STEP_BEFORE_PREVIOUS_STEP",
                {{"researcher_id", "r-1"},
                 {"previous_step_event_id", hired.event_id()},
                 {"previous_step_occurred_at", "2024-03-01T00:00:00Z"}}));
}

// ---- RetractResearcherStep -------------------------------------------------------------

TEST_F(Researchers, Retraction_AcceptedNamingTheResearcherAndTheStepsType) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  v1::EventEnvelope hired = ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex")));
  absl::StatusOr<v1::EventEnvelope> event = ledger_.Record(Retraction(kChungnam, hired.event_id()));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "ResearcherStepRetracted");
  const v1::ResearcherStepRetracted& retracted = event->payload().researcher_step_retracted();
  EXPECT_EQ(retracted.consortium_id(), kChungnamId);
  EXPECT_EQ(retracted.researcher_id(), "r-1");
  EXPECT_EQ(retracted.corrects_event_id(), hired.event_id());
  EXPECT_EQ(retracted.retracted_event_type(), "ResearcherHired");
  EXPECT_EQ(retracted.reason(), "recorded for the wrong researcher");

  // The step stays in the record, marked.
  const v1::Researcher& researcher = Researcher("r-1");
  ASSERT_EQ(researcher.steps_size(), 2);
  EXPECT_TRUE(researcher.steps(1).retracted());
  EXPECT_EQ(researcher.steps(1).retraction_event_id(), event->event_id());
  EXPECT_EQ(researcher.stage(), v1::RESEARCHER_STAGE_ENROLLED);
}

TEST_F(Researchers, Retraction_OfEachStepTypeNamesIt) {
  v1::EventEnvelope enrolled = ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  v1::EventEnvelope graduated = ledger_.Given(Graduation(kChungnam, "r-1"));
  v1::EventEnvelope hired = ledger_.Given(GraduateHire("r-1", Pid("conex")));
  v1::EventEnvelope left = ledger_.Given(Departure(kChungnam, "r-1"));
  for (const auto& [step, type] :
       {std::pair<v1::EventEnvelope, std::string>{left, "ResearcherLeft"},
        {hired, "ResearcherHired"},
        {graduated, "ResearcherGraduated"},
        {enrolled, "ResearcherEnrolled"}}) {
    absl::StatusOr<v1::EventEnvelope> event =
        ledger_.Record(Retraction(kChungnam, step.event_id()));
    ASSERT_TRUE(event.ok()) << type << ": " << event.status();
    EXPECT_EQ(event->payload().researcher_step_retracted().retracted_event_type(), type);
    EXPECT_EQ(event->payload().researcher_step_retracted().researcher_id(), "r-1");
  }
}

TEST_F(Researchers, Retraction_RefusedWhenConsortiumNotFound) {
  v1::EventEnvelope enrolled = ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  EXPECT_TRUE(IsRefusal(ledger_.Record(Retraction("nowhere", enrolled.event_id())).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "nowhere"}}));
}

TEST_F(Researchers, Retraction_RefusedWhenTheEventIsNoStepOfTheConsortium) {
  v1::EventEnvelope enrolled = ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  v1::EventEnvelope agreement = ledger_.Given(Agreement(kChungnam, 2023));
  // An unknown id, an event of the consortium that is no researcher step,
  // and a step of another consortium.
  for (const std::string& id : {EventIdFor(999), agreement.event_id(), enrolled.event_id()}) {
    const absl::string_view consortium = id == enrolled.event_id() ? kUlsan : kChungnam;
    EXPECT_TRUE(IsRefusal(ledger_.Record(Retraction(consortium, id)).status(),
                          StatusCode::kNotFound, "RESEARCHER_STEP_NOT_FOUND",
                          {{"consortium_id", std::string(consortium)}, {"corrects_event_id", id}}));
  }
}

TEST_F(Researchers, Retraction_RefusedWhenTheStepWasRetracted) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  v1::EventEnvelope hired = ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex")));
  v1::EventEnvelope first = ledger_.Given(Retraction(kChungnam, hired.event_id()));
  absl::Status status = ledger_.Record(Retraction(kChungnam, hired.event_id())).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "STEP_ALREADY_RETRACTED",
                        {{"consortium_id", kChungnamId}, {"corrects_event_id", hired.event_id()}}));
  EXPECT_NE(status.message().find(first.event_id()), absl::string_view::npos) << status;
}

TEST_F(Researchers, Retraction_RefusedUnlessTheLatestStepInEffect) {
  v1::EventEnvelope enrolled = ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  v1::EventEnvelope graduated = ledger_.Given(Graduation(kChungnam, "r-1"));
  absl::Status status = ledger_.Record(Retraction(kChungnam, enrolled.event_id())).status();
  EXPECT_TRUE(
      IsRefusal(status, StatusCode::kFailedPrecondition, "STEP_NOT_LATEST",
                {{"consortium_id", kChungnamId}, {"corrects_event_id", enrolled.event_id()}}));
  EXPECT_NE(status.message().find(graduated.event_id()), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("retract the later step first"), absl::string_view::npos);
  // Once the later step is retracted, the enrolment is the latest in effect.
  ledger_.Given(Retraction(kChungnam, graduated.event_id()));
  EXPECT_TRUE(ledger_.Record(Retraction(kChungnam, enrolled.event_id())).ok());
}

// ---- The fold of a researcher's steps ----------------------------------------------------

TEST_F(Researchers, Steps_EnrolGraduateHireLeave_ThenRetractEach_StageAndCountsFollow) {
  const v1::ProgramSummary& program = ProgramIn(ledger_);
  v1::EventEnvelope enrolled = ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_ENROLLED);
  EXPECT_EQ(Counts().enrolled(), 1);

  v1::EventEnvelope graduated = ledger_.Given(Graduation(kChungnam, "r-1"));
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_GRADUATED);
  EXPECT_EQ(Counts().enrolled(), 0);
  EXPECT_EQ(Counts().graduated(), 1);

  v1::EventEnvelope hired = ledger_.Given(GraduateHire("r-1", Pid("conex")));
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger_, kChungnam);
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_HIRED);
  EXPECT_EQ(Researcher("r-1").degree(), v1::DEGREE_MASTERS);
  EXPECT_EQ(Researcher("r-1").enterprise_participant_id(), Pid("conex"));
  EXPECT_EQ(Counts().graduated(), 0);
  EXPECT_EQ(Counts().hired(), 1);
  EXPECT_EQ(chungnam.hire_count(), 1);
  ASSERT_EQ(chungnam.hires_size(), 1);
  EXPECT_EQ(chungnam.hires(0).event_id(), hired.event_id());
  EXPECT_EQ(chungnam.hires(0).degree(), v1::DEGREE_MASTERS);
  EXPECT_FALSE(chungnam.hires(0).has_left_at());
  EXPECT_EQ(program.hire_count(), 1);
  EXPECT_EQ(YearIn(program, 2025).hire_count(), 1);

  v1::EventEnvelope left = ledger_.Given(Departure(kChungnam, "r-1"));
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_LEFT);
  EXPECT_EQ(Counts().hired(), 0);
  EXPECT_EQ(Counts().left(), 1);
  // A hire that left still counts toward the target.
  EXPECT_EQ(chungnam.hire_count(), 1);
  EXPECT_EQ(program.hire_count(), 1);
  ASSERT_EQ(chungnam.hires_size(), 1);
  EXPECT_EQ(chungnam.hires(0).left_at().seconds(), At("2026-01-31T00:00:00Z").seconds());

  // Retract the leaving: hired again, nothing left.
  ASSERT_TRUE(ledger_.Record(Retraction(kChungnam, left.event_id())).ok());
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_HIRED);
  EXPECT_FALSE(Researcher("r-1").has_left_at());
  EXPECT_EQ(Counts().hired(), 1);
  EXPECT_EQ(Counts().left(), 0);
  EXPECT_EQ(chungnam.hire_count(), 1);
  ASSERT_EQ(chungnam.hires_size(), 1);
  EXPECT_FALSE(chungnam.hires(0).has_left_at());

  // Retract the hire: back to GRADUATED, the hire counts nowhere.
  ASSERT_TRUE(ledger_.Record(Retraction(kChungnam, hired.event_id())).ok());
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_GRADUATED);
  EXPECT_EQ(Researcher("r-1").enterprise_participant_id(), "");
  EXPECT_FALSE(Researcher("r-1").has_hired_at());
  EXPECT_EQ(Researcher("r-1").degree(), v1::DEGREE_MASTERS);
  EXPECT_EQ(Counts().hired(), 0);
  EXPECT_EQ(Counts().graduated(), 1);
  EXPECT_EQ(chungnam.hire_count(), 0);
  EXPECT_EQ(chungnam.hires_size(), 0);
  EXPECT_EQ(program.hire_count(), 0);
  EXPECT_EQ(YearIn(program, 2025).hire_count(), 0);
  EXPECT_EQ(ledger_.state().participants.at(Pid("conex")).hires_size(), 0);
  EXPECT_EQ(ledger_.state().participants.at(Pid("conex")).hire_count(), 0);

  // Retract the graduation: studying again.
  ASSERT_TRUE(ledger_.Record(Retraction(kChungnam, graduated.event_id())).ok());
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_ENROLLED);
  EXPECT_FALSE(Researcher("r-1").has_graduated_at());
  EXPECT_EQ(Researcher("r-1").degree(), v1::DEGREE_UNSPECIFIED);
  EXPECT_EQ(Counts().graduated(), 0);
  EXPECT_EQ(Counts().enrolled(), 1);

  // Retract the enrolment: RETRACTED, kept for the audit trail, counted nowhere.
  ASSERT_TRUE(ledger_.Record(Retraction(kChungnam, enrolled.event_id())).ok());
  const v1::Researcher& retracted = Researcher("r-1");
  EXPECT_EQ(retracted.stage(), v1::RESEARCHER_STAGE_RETRACTED);
  EXPECT_EQ(retracted.lab_id(), "");
  ASSERT_EQ(retracted.steps_size(), 4);
  for (const v1::ResearcherStep& step : retracted.steps()) {
    EXPECT_TRUE(step.retracted()) << step.event_type();
    EXPECT_FALSE(step.retraction_event_id().empty()) << step.event_type();
  }
  EXPECT_EQ(Counts().enrolled(), 0);
  EXPECT_EQ(Counts().graduated(), 0);
  EXPECT_EQ(Counts().hired(), 0);
  EXPECT_EQ(Counts().left(), 0);
  EXPECT_EQ(Counts().retracted(), 1);
  EXPECT_EQ(program.researcher_counts().enrolled(), 0);
  EXPECT_EQ(program.researcher_counts().retracted(), 1);
  EXPECT_EQ(YearIn(program, 2023).enrolment_count(), 0);

  // The id may be enrolled again; the old steps stay in the record.
  ASSERT_TRUE(ledger_
                  .Record(Enrolment(kChungnam, "r-1", "kongju-lab", v1::DEGREE_TRACK_PHD,
                                    "2024-09-01T00:00:00Z"))
                  .ok());
  EXPECT_EQ(Researcher("r-1").stage(), v1::RESEARCHER_STAGE_ENROLLED);
  EXPECT_EQ(Researcher("r-1").track(), v1::DEGREE_TRACK_PHD);
  EXPECT_EQ(Researcher("r-1").steps_size(), 5);
  EXPECT_EQ(Counts().enrolled(), 1);
  EXPECT_EQ(Counts().retracted(), 0);
  EXPECT_EQ(YearIn(program, 2024).enrolment_count(), 1);
}

TEST_F(Researchers, Steps_RetractingAHire_TheResearcherMayBeHiredAgain) {
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  v1::EventEnvelope hired = ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex")));
  ledger_.Given(Retraction(kChungnam, hired.event_id()));
  absl::StatusOr<v1::EventEnvelope> again =
      ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("yongsan")));
  ASSERT_TRUE(again.ok()) << again.status();
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger_, kChungnam);
  EXPECT_EQ(chungnam.hire_count(), 1);
  ASSERT_EQ(chungnam.hires_size(), 1);
  EXPECT_EQ(chungnam.hires(0).enterprise_participant_id(), Pid("yongsan"));
  EXPECT_EQ(ledger_.state().participants.at(Pid("conex")).hire_count(), 0);
  EXPECT_EQ(ledger_.state().participants.at(Pid("yongsan")).hire_count(), 1);
}

// ---- The participant read model ---------------------------------------------------------

TEST_F(Researchers, Participant_ShowsEveryMembershipAndTheHiresItMade) {
  // Conex joins Gyeongnam too, then withdraws from it.
  ledger_.Given(Joining(
      kGyeongnam, Member(Pid("conex"), "주식회사 코넥", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)));
  ledger_.Given(Withdrawal(kGyeongnam, Pid("conex")));
  ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  ledger_.Given(Enrolment(kChungnam, "r-2", "kongju-lab"));
  v1::EventEnvelope first =
      ledger_.Given(HireOf(kChungnam, "r-2", "kongju-lab", Pid("conex"), "2024-03-01T00:00:00Z"));
  v1::EventEnvelope second =
      ledger_.Given(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"), "2024-05-01T00:00:00Z"));
  ledger_.Given(Departure(kChungnam, "r-2", "2025-01-31T00:00:00Z"));

  const v1::ParticipantStatus& conex = ledger_.state().participants.at(Pid("conex"));
  EXPECT_EQ(conex.participant_id(), Pid("conex"));
  EXPECT_EQ(conex.name_ko(), "주식회사 코넥");
  ASSERT_EQ(conex.memberships_size(), 2);
  EXPECT_EQ(conex.memberships(0).consortium_id(), kChungnamId);
  EXPECT_TRUE(conex.memberships(0).current());
  EXPECT_FALSE(conex.memberships(0).lead());
  EXPECT_EQ(conex.memberships(0).role(), v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  EXPECT_EQ(conex.memberships(0).joined_at().seconds(), At("2023-04-28T09:00:00Z").seconds());
  EXPECT_EQ(conex.memberships(1).consortium_id(), kGyeongnamId);
  EXPECT_FALSE(conex.memberships(1).current());
  EXPECT_EQ(conex.memberships(1).withdrawn_at().seconds(), At("2024-06-30T00:00:00Z").seconds());

  ASSERT_EQ(conex.hires_size(), 2);
  EXPECT_EQ(conex.hire_count(), 2);
  EXPECT_EQ(conex.hires(0).researcher_id(), "r-2");
  EXPECT_EQ(conex.hires(0).consortium_id(), kChungnamId);
  EXPECT_EQ(conex.hires(0).event_id(), first.event_id());
  EXPECT_EQ(conex.hires(0).degree(), v1::DEGREE_MASTERS_CANDIDATE);
  EXPECT_EQ(conex.hires(0).left_at().seconds(), At("2025-01-31T00:00:00Z").seconds());
  EXPECT_EQ(conex.hires(1).researcher_id(), "r-1");
  EXPECT_EQ(conex.hires(1).event_id(), second.event_id());
  EXPECT_FALSE(conex.hires(1).has_left_at());
  EXPECT_EQ(conex.last_global_position(), ledger_.log().back().global_position());

  // The lead is marked; an organisation that made no hire has none.
  const v1::ParticipantStatus& kongju = ledger_.state().participants.at(Pid("kongju-univ"));
  ASSERT_EQ(kongju.memberships_size(), 1);
  EXPECT_TRUE(kongju.memberships(0).lead());
  EXPECT_EQ(kongju.hire_count(), 0);
  EXPECT_EQ(ledger_.state().participants.at(Pid("yongsan")).hires_size(), 0);
}

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
