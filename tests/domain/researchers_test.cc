// Labs and researchers (services/domain/researchers.h), given/when/then.
// Validation: each bad request refused with INVALID_ARGUMENT naming the
// field. Rules: given earlier events, when a command, then this event or
// this refusal, one test a reason in the order researchers.h lists them;
// and what the fold makes of a researcher's steps.
#include "services/domain/researchers.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "alliance/v1/commands.pb.h"
#include "gtest/gtest.h"
#include "services/domain/validation.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/domain/lifecycle_fixture.h"
#include "tests/domain/validation_fixture.h"

// ---- Validation -------------------------------------------------------------------

namespace alliance::domain::testing::validation {
namespace {

// ---- researchers (rule 7) and degrees ----------------------------------------------------------

TEST(Validate, Researcher_ResidentRegistrationNumberShapesAreRefused) {
  for (const char* rrn :
       {"900101-1234567", "9001011234567", "r-9001011234567", "kongju-900101-2345678-x"}) {
    absl::Status status = ValidateRecordHire(WithMeta(HireOf(rrn)));
    EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "hire.researcher_id")) << rrn;
    EXPECT_TRUE(Contains(status, "pseudonymous"));
  }
  // A pseudonymous id with a few digits is fine.
  for (const char* ok : {"kongju-2023-007", "R_000123", "900101-123456"}) {
    EXPECT_TRUE(ValidateRecordHire(WithMeta(HireOf(ok))).ok()) << ok;
  }
}

TEST(Validate, Researcher_IdCharactersAreLimited) {
  v1::RecordHireRequest request = WithMeta(HireOf("홍길동"));
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kInvalid, "hire.researcher_id"));
  request.mutable_hire()->clear_researcher_id();
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kMissing, "hire.researcher_id"));
}

TEST(Validate, Degree_MustBeMastersOrPhdOrACandidacy) {
  v1::RecordHireRequest request = WithMeta(HireOf("r-1"));
  request.mutable_hire()->set_degree(v1::DEGREE_UNSPECIFIED);
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kMissing, "hire.degree"));
  request.mutable_hire()->set_degree(static_cast<v1::Degree>(42));
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kInvalid, "hire.degree"));
  for (v1::Degree degree : {v1::DEGREE_MASTERS, v1::DEGREE_MASTERS_CANDIDATE, v1::DEGREE_PHD,
                            v1::DEGREE_PHD_CANDIDATE}) {
    request.mutable_hire()->set_degree(degree);
    EXPECT_TRUE(ValidateRecordHire(request).ok());
  }
}

// ---- the researcher's steps ---------------------------------------------------------------

TEST(Validate, EnrolResearcher) {
  using R = v1::EnrolResearcherRequest;
  auto enrolment = [](R* r) { return r->mutable_enrolment(); };
  ExpectRefusals<R>(
      ValidateEnrolResearcher, WithMeta(Enrolment()),
      {
          {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
          {[](R* r) { r->clear_enrolment(); }, kMissing, "enrolment"},
          {[&](R* r) { enrolment(r)->clear_consortium_id(); }, kMissing, "enrolment.consortium_id"},
          {[&](R* r) { enrolment(r)->clear_researcher_id(); }, kMissing, "enrolment.researcher_id"},
          {[&](R* r) { enrolment(r)->set_researcher_id("900101-1234567"); }, kInvalid,
           "enrolment.researcher_id"},
          {[&](R* r) { enrolment(r)->set_researcher_id("홍길동"); }, kInvalid,
           "enrolment.researcher_id"},
          {[&](R* r) { enrolment(r)->clear_lab_id(); }, kMissing, "enrolment.lab_id"},
          {[&](R* r) { enrolment(r)->set_lab_id("Lab"); }, kInvalid, "enrolment.lab_id"},
          {[&](R* r) { enrolment(r)->set_track(v1::DEGREE_TRACK_UNSPECIFIED); }, kMissing,
           "enrolment.track"},
          {[&](R* r) { enrolment(r)->set_track(static_cast<v1::DegreeTrack>(3)); }, kInvalid,
           "enrolment.track"},
          {[&](R* r) { enrolment(r)->clear_occurred_at(); }, kMissing, "enrolment.occurred_at"},
      });
  R request = WithMeta(Enrolment());
  request.mutable_enrolment()->set_track(v1::DEGREE_TRACK_PHD);
  EXPECT_TRUE(ValidateEnrolResearcher(request).ok());
}

TEST(Validate, RecordGraduation) {
  using R = v1::RecordGraduationRequest;
  ExpectRefusals<R>(
      ValidateRecordGraduation, WithMeta(Graduation()),
      {
          {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
          {[](R* r) { r->clear_consortium_id(); }, kMissing, "consortium_id"},
          {[](R* r) { r->set_consortium_id("Chungnam"); }, kInvalid, "consortium_id"},
          {[](R* r) { r->clear_researcher_id(); }, kMissing, "researcher_id"},
          {[](R* r) { r->set_researcher_id("9001011234567"); }, kInvalid, "researcher_id"},
          {[](R* r) { r->clear_occurred_at(); }, kMissing, "occurred_at"},
          {[](R* r) { r->mutable_occurred_at()->set_seconds(253'402'300'800); }, kInvalid,
           "occurred_at"},
      });
}

TEST(Validate, RecordDeparture) {
  using R = v1::RecordDepartureRequest;
  ExpectRefusals<R>(ValidateRecordDeparture, WithMeta(Departure()),
                    {
                        {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
                        {[](R* r) { r->clear_consortium_id(); }, kMissing, "consortium_id"},
                        {[](R* r) { r->clear_researcher_id(); }, kMissing, "researcher_id"},
                        {[](R* r) { r->set_researcher_id("r 1"); }, kInvalid, "researcher_id"},
                        {[](R* r) { r->set_reason(kTooLong); }, kInvalid, "reason"},
                        {[](R* r) { r->clear_occurred_at(); }, kMissing, "occurred_at"},
                    });
  R request = WithMeta(Departure());
  request.clear_reason();  // optional
  EXPECT_TRUE(ValidateRecordDeparture(request).ok());
}

TEST(Validate, RetractResearcherStep) {
  using R = v1::RetractResearcherStepRequest;
  ExpectRefusals<R>(
      ValidateRetractResearcherStep, WithMeta(Retraction()),
      {
          {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
          {[](R* r) { r->clear_consortium_id(); }, kMissing, "consortium_id"},
          {[](R* r) { r->clear_corrects_event_id(); }, kMissing, "corrects_event_id"},
          {[](R* r) { r->set_corrects_event_id("hire-7"); }, kInvalid, "corrects_event_id"},
          {[](R* r) { r->set_corrects_event_id(EventIdFor(7) + "#0"); }, kInvalid,
           "corrects_event_id"},
          {[](R* r) { r->clear_reason(); }, kMissing, "reason"},
          {[](R* r) { r->clear_occurred_at(); }, kMissing, "occurred_at"},
      });
  R request = WithMeta(Retraction());
  request.set_corrects_event_id(EventIdFor(7) + "#3");
  EXPECT_TRUE(ValidateRetractResearcherStep(request).ok());
}

}  // namespace
}  // namespace alliance::domain::testing::validation

// ---- Rules --------------------------------------------------------------------------

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

}  // namespace
}  // namespace alliance::domain::testing
