// Labs and researchers (researchers.h): rule 4's labs, and rule 5's
// researcher steps, each dated no earlier than the step before it.
#include "services/domain/researchers.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "proto/errors/refusal.h"
#include "services/domain/command_row.h"
#include "services/domain/rules.h"
#include "services/domain/validation.h"

namespace alliance::domain {
namespace {

// Refuses unless `participant_id` names a participant of `consortium` with
// `role`; `reason` and `what` say which rule asked.
absl::Status RequireParticipantRole(const v1::ConsortiumStatus& consortium,
                                    const std::string& participant_id, v1::ParticipantRole role,
                                    absl::string_view reason, absl::string_view what) {
  const v1::Participant* participant = FindParticipant(consortium.participants(), participant_id);
  if (participant != nullptr && participant->role() == role) return absl::OkStatus();
  const std::string found =
      participant == nullptr
          ? absl::StrCat(participant_id, " is not a participant of consortium ",
                         consortium.consortium_id())
          : absl::StrCat(participant_id, " is ", RoleInWords(participant->role()),
                         " in consortium ", consortium.consortium_id());
  return Refuse(
      absl::StatusCode::kFailedPrecondition, reason,
      absl::StrCat(found, "; ", what, " must be ", RoleInWords(role),
                   " participating in the consortium"),
      {{"consortium_id", consortium.consortium_id()},
       {"participant_id", participant_id},
       {"role", participant == nullptr ? "" : v1::ParticipantRole_Name(participant->role())},
       {"required_role", v1::ParticipantRole_Name(role)}});
}

// ---- Hire (rule 5) ------------------------------------------------------------------

absl::Status CheckResearcherNotHired(const v1::ConsortiumStatus& consortium,
                                     const v1::ResearcherHired& hire) {
  for (const v1::Hire& earlier : consortium.hires()) {
    if (earlier.researcher_id() != hire.researcher_id()) continue;
    return Refuse(
        absl::StatusCode::kAlreadyExists, "RESEARCHER_ALREADY_HIRED",
        absl::StrCat("researcher ", hire.researcher_id(), " was already hired in consortium ",
                     consortium.consortium_id(), " by ", earlier.enterprise_participant_id(),
                     " (event ", earlier.event_id(), ")"),
        {{"consortium_id", consortium.consortium_id()},
         {"researcher_id", hire.researcher_id()},
         {"original_event_id", earlier.event_id()}});
  }
  return absl::OkStatus();
}

absl::Status CheckLabDesignated(const v1::ConsortiumStatus& consortium, const std::string& lab_id) {
  for (const v1::Lab& lab : consortium.labs()) {
    if (lab.lab_id() == lab_id) return absl::OkStatus();
  }
  return Refuse(absl::StatusCode::kFailedPrecondition, "LAB_NOT_DESIGNATED",
                absl::StrCat("lab ", lab_id, " is not a designated innovation lab of consortium ",
                             consortium.consortium_id(),
                             "; a hire names a researcher trained in the consortium's designated "
                             "lab (designate it first)"),
                {{"consortium_id", consortium.consortium_id()}, {"lab_id", lab_id}});
}

// ---- Researchers (rule 5) ------------------------------------------------------------------

const v1::Researcher* FindResearcher(const v1::ConsortiumStatus& consortium,
                                     const std::string& researcher_id) {
  for (const v1::Researcher& researcher : consortium.researchers()) {
    if (researcher.researcher_id() == researcher_id) return &researcher;
  }
  return nullptr;
}

// The researcher as the steps in effect leave them; RESEARCHER_NOT_FOUND
// when the id was never enrolled in the consortium or its enrolment was
// retracted.
absl::StatusOr<const v1::Researcher*> EnrolledResearcher(const v1::ConsortiumStatus& consortium,
                                                         const std::string& researcher_id) {
  const v1::Researcher* researcher = FindResearcher(consortium, researcher_id);
  if (researcher != nullptr && researcher->stage() != v1::RESEARCHER_STAGE_RETRACTED) {
    return researcher;
  }
  return Refuse(
      absl::StatusCode::kNotFound, "RESEARCHER_NOT_FOUND",
      absl::StrCat("researcher ", researcher_id, " is not enrolled in consortium ",
                   consortium.consortium_id(), "; enrol the researcher (EnrolResearcher) first"),
      {{"consortium_id", consortium.consortium_id()}, {"researcher_id", researcher_id}});
}

// The latest step in effect of `researcher`.
const v1::ResearcherStep* LatestStep(const v1::Researcher& researcher) {
  const v1::ResearcherStep* latest = nullptr;
  for (const v1::ResearcherStep& step : researcher.steps()) {
    if (!step.retracted()) latest = &step;
  }
  return latest;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  return google::protobuf::util::TimeUtil::ToString(timestamp);
}

// A step is dated no earlier than the step before it: a hire before the
// enrolment is a typo in a date.
absl::Status CheckStepOrder(const v1::Researcher& researcher,
                            const google::protobuf::Timestamp& occurred_at,
                            absl::string_view what) {
  const v1::ResearcherStep* latest = LatestStep(researcher);
  if (latest == nullptr || occurred_at >= latest->occurred_at()) return absl::OkStatus();
  return Refuse(
      absl::StatusCode::kFailedPrecondition, "STEP_BEFORE_PREVIOUS_STEP",
      absl::StrCat("the ", what, " of researcher ", researcher.researcher_id(), " is dated ",
                   FormatTimestamp(occurred_at), ", before its ", latest->event_type(), " of ",
                   FormatTimestamp(latest->occurred_at()), "; check the date"),
      {{"researcher_id", researcher.researcher_id()},
       {"occurred_at", FormatTimestamp(occurred_at)},
       {"previous_step_event_id", latest->event_id()},
       {"previous_step_occurred_at", FormatTimestamp(latest->occurred_at())}});
}

// The degree a hire must name: the graduated degree, or the track's
// candidate degree while studying.
v1::Degree DegreeForHire(const v1::Researcher& researcher) {
  if (researcher.has_graduated_at()) return researcher.degree();
  return researcher.track() == v1::DEGREE_TRACK_PHD ? v1::DEGREE_PHD_CANDIDATE
                                                    : v1::DEGREE_MASTERS_CANDIDATE;
}

}  // namespace

// ---- Validation -------------------------------------------------------------------

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
  return CheckCorrection(request);
}

// ---- Rules --------------------------------------------------------------------------

absl::StatusOr<v1::Event> DecideDesignateLab(const LedgerState& state,
                                             const v1::DesignateLabRequest& request) {
  const v1::LabDesignated& designation = request.designation();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, designation.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(designation.consortium_id());
  if (absl::Status s = RequireNotClosed(*consortium, "no lab is designated any more"); !s.ok()) {
    return s;
  }
  for (const v1::Lab& lab : consortium->labs()) {
    if (lab.lab_id() != designation.lab_id()) continue;
    return Refuse(
        absl::StatusCode::kAlreadyExists, "LAB_ALREADY_DESIGNATED",
        absl::StrCat("lab ", lab.lab_id(), " (", lab.lab_name_ko(),
                     ") is already designated in consortium ", consortium->consortium_id()),
        {{"consortium_id", consortium->consortium_id()}, {"lab_id", lab.lab_id()}});
  }
  if (absl::Status s = RequireParticipantRole(*consortium, designation.university_participant_id(),
                                              v1::PARTICIPANT_ROLE_UNIVERSITY,
                                              "LAB_UNIVERSITY_NOT_IN_CONSORTIUM", "the lab's host");
      !s.ok()) {
    return s;
  }
  v1::Event event;
  *event.mutable_lab_designated() = designation;
  return event;
}

absl::StatusOr<v1::Event> DecideEnrolResearcher(const LedgerState& state,
                                                const v1::EnrolResearcherRequest& request) {
  const v1::ResearcherEnrolled& enrolment = request.enrolment();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, enrolment.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(enrolment.consortium_id());
  if (absl::Status s = RequireActive(*consortium, "researchers enrol in an active consortium");
      !s.ok()) {
    return s;
  }
  const v1::Researcher* existing = FindResearcher(*consortium, enrolment.researcher_id());
  if (existing != nullptr && existing->stage() != v1::RESEARCHER_STAGE_RETRACTED) {
    return Refuse(absl::StatusCode::kAlreadyExists, "RESEARCHER_ALREADY_ENROLLED",
                  absl::StrCat("researcher ", enrolment.researcher_id(),
                               " is already enrolled in consortium ", consortium->consortium_id(),
                               " (lab ", existing->lab_id(), ", stage ",
                               v1::ResearcherStage_Name(existing->stage()), ")"),
                  {{"consortium_id", consortium->consortium_id()},
                   {"researcher_id", enrolment.researcher_id()},
                   {"stage", v1::ResearcherStage_Name(existing->stage())}});
  }
  if (absl::Status s = CheckLabDesignated(*consortium, enrolment.lab_id()); !s.ok()) return s;
  v1::Event event;
  *event.mutable_researcher_enrolled() = enrolment;
  return event;
}

absl::StatusOr<v1::Event> DecideRecordGraduation(const LedgerState& state,
                                                 const v1::RecordGraduationRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  absl::StatusOr<const v1::Researcher*> researcher =
      EnrolledResearcher(*consortium, request.researcher_id());
  if (!researcher.ok()) return researcher.status();
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"consortium_id", consortium->consortium_id()},
      {"researcher_id", request.researcher_id()},
      {"stage", v1::ResearcherStage_Name((*researcher)->stage())}};
  if ((*researcher)->has_graduated_at()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "RESEARCHER_ALREADY_GRADUATED",
                  absl::StrCat("researcher ", request.researcher_id(), " graduated on ",
                               FormatTimestamp((*researcher)->graduated_at()), " with ",
                               v1::Degree_Name((*researcher)->degree())),
                  metadata);
  }
  if ((*researcher)->stage() == v1::RESEARCHER_STAGE_LEFT) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "RESEARCHER_NOT_STUDYING",
                  absl::StrCat("researcher ", request.researcher_id(),
                               " was hired as a candidate and has left the enterprise; the "
                               "program no longer follows the course"),
                  metadata);
  }
  if (absl::Status s = CheckStepOrder(**researcher, request.occurred_at(), "graduation"); !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::ResearcherGraduated* graduated = event.mutable_researcher_graduated();
  graduated->set_consortium_id(request.consortium_id());
  graduated->set_researcher_id(request.researcher_id());
  graduated->set_degree((*researcher)->track() == v1::DEGREE_TRACK_PHD ? v1::DEGREE_PHD
                                                                       : v1::DEGREE_MASTERS);
  *graduated->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideRecordHire(const LedgerState& state,
                                           const v1::RecordHireRequest& request) {
  const v1::ResearcherHired& hire = request.hire();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, hire.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(hire.consortium_id());
  if (absl::Status s = CheckResearcherNotHired(*consortium, hire); !s.ok()) return s;
  if (absl::Status s = CheckLabDesignated(*consortium, hire.lab_id()); !s.ok()) return s;
  const v1::Researcher* researcher = FindResearcher(*consortium, hire.researcher_id());
  if (researcher == nullptr || researcher->stage() == v1::RESEARCHER_STAGE_RETRACTED) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "RESEARCHER_NOT_ENROLLED",
        absl::StrCat("researcher ", hire.researcher_id(),
                     " is not enrolled in a designated lab of consortium ",
                     consortium->consortium_id(),
                     "; a hire names a researcher trained there (EnrolResearcher first)"),
        {{"consortium_id", consortium->consortium_id()}, {"researcher_id", hire.researcher_id()}});
  }
  if (researcher->lab_id() != hire.lab_id()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "RESEARCHER_NOT_IN_LAB",
                  absl::StrCat("researcher ", hire.researcher_id(), " is enrolled in lab ",
                               researcher->lab_id(), ", not ", hire.lab_id()),
                  {{"consortium_id", consortium->consortium_id()},
                   {"researcher_id", hire.researcher_id()},
                   {"lab_id", hire.lab_id()},
                   {"enrolled_lab_id", researcher->lab_id()}});
  }
  const v1::Degree expected = DegreeForHire(*researcher);
  if (hire.degree() != expected) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "DEGREE_DOES_NOT_MATCH_RECORD",
        absl::StrCat("researcher ", hire.researcher_id(),
                     researcher->has_graduated_at() ? " graduated with "
                                                    : " has not graduated; the track gives ",
                     v1::Degree_Name(expected), ", but the hire names ",
                     v1::Degree_Name(hire.degree())),
        {{"researcher_id", hire.researcher_id()},
         {"degree", v1::Degree_Name(hire.degree())},
         {"expected_degree", v1::Degree_Name(expected)}});
  }
  if (absl::Status s = RequireParticipantRole(
          *consortium, hire.enterprise_participant_id(), v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE,
          "ENTERPRISE_NOT_IN_CONSORTIUM", "the hiring enterprise");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckStepOrder(*researcher, hire.occurred_at(), "hire"); !s.ok()) return s;
  v1::Event event;
  *event.mutable_researcher_hired() = hire;
  return event;
}

absl::StatusOr<v1::Event> DecideRecordDeparture(const LedgerState& state,
                                                const v1::RecordDepartureRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  absl::StatusOr<const v1::Researcher*> researcher =
      EnrolledResearcher(*consortium, request.researcher_id());
  if (!researcher.ok()) return researcher.status();
  if ((*researcher)->stage() != v1::RESEARCHER_STAGE_HIRED) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "RESEARCHER_NOT_HIRED",
                  absl::StrCat("researcher ", request.researcher_id(), " is ",
                               v1::ResearcherStage_Name((*researcher)->stage()),
                               ", not employed by an enterprise of consortium ",
                               consortium->consortium_id(), "; only a hired researcher can leave"),
                  {{"consortium_id", consortium->consortium_id()},
                   {"researcher_id", request.researcher_id()},
                   {"stage", v1::ResearcherStage_Name((*researcher)->stage())}});
  }
  if (absl::Status s = CheckStepOrder(**researcher, request.occurred_at(), "departure"); !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::ResearcherLeft* left = event.mutable_researcher_left();
  left->set_consortium_id(request.consortium_id());
  left->set_researcher_id(request.researcher_id());
  left->set_enterprise_participant_id((*researcher)->enterprise_participant_id());
  left->set_reason(request.reason());
  *left->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideRetractResearcherStep(
    const LedgerState& state, const v1::RetractResearcherStepRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  const v1::Researcher* owner = nullptr;
  const v1::ResearcherStep* step = nullptr;
  for (const v1::Researcher& researcher : consortium->researchers()) {
    for (const v1::ResearcherStep& candidate : researcher.steps()) {
      if (candidate.event_id() != request.corrects_event_id()) continue;
      owner = &researcher;
      step = &candidate;
    }
  }
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"consortium_id", consortium->consortium_id()},
      {"corrects_event_id", request.corrects_event_id()}};
  if (step == nullptr) {
    return Refuse(absl::StatusCode::kNotFound, "RESEARCHER_STEP_NOT_FOUND",
                  absl::StrCat("event ", request.corrects_event_id(),
                               " is not a researcher's enrolment, graduation, hire or departure "
                               "in consortium ",
                               consortium->consortium_id()),
                  metadata);
  }
  if (step->retracted()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "STEP_ALREADY_RETRACTED",
                  absl::StrCat("the ", step->event_type(), " ", step->event_id(), " of researcher ",
                               owner->researcher_id(), " was already retracted by event ",
                               step->retraction_event_id()),
                  metadata);
  }
  const v1::ResearcherStep* latest = LatestStep(*owner);
  if (latest != step) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "STEP_NOT_LATEST",
                  absl::StrCat("the ", step->event_type(), " ", step->event_id(), " of researcher ",
                               owner->researcher_id(), " is followed by its ", latest->event_type(),
                               " ", latest->event_id(), "; retract the later step first"),
                  metadata);
  }
  v1::Event event;
  v1::ResearcherStepRetracted* retracted = event.mutable_researcher_step_retracted();
  retracted->set_consortium_id(request.consortium_id());
  retracted->set_researcher_id(owner->researcher_id());
  retracted->set_corrects_event_id(request.corrects_event_id());
  retracted->set_retracted_event_type(step->event_type());
  retracted->set_reason(request.reason());
  *retracted->mutable_occurred_at() = request.occurred_at();
  return event;
}

// ---- The rows ----------------------------------------------------------------

namespace {

std::string DesignateLabStream(const v1::DesignateLabRequest& r) {
  return ConsortiumStreamId(r.designation().consortium_id());
}
std::string EnrolResearcherStream(const v1::EnrolResearcherRequest& r) {
  return ConsortiumStreamId(r.enrolment().consortium_id());
}
std::string RecordHireStream(const v1::RecordHireRequest& r) {
  return ConsortiumStreamId(r.hire().consortium_id());
}

}  // namespace

const std::vector<CommandSpec>& ResearcherCommands() {
  static const std::vector<CommandSpec>* const rows = new std::vector<CommandSpec>{
      Row<v1::DesignateLabRequest, DesignateLabStream, ValidateDesignateLab, DecideDesignateLab>(
          "DesignateLab", kByManagingAgency),
      Row<v1::EnrolResearcherRequest, EnrolResearcherStream, ValidateEnrolResearcher,
          DecideEnrolResearcher>("EnrolResearcher", kByLeadUniversity),
      Row<v1::RecordGraduationRequest, FlatStream<v1::RecordGraduationRequest>,
          ValidateRecordGraduation, DecideRecordGraduation>("RecordGraduation", kByLeadUniversity),
      Row<v1::RecordHireRequest, RecordHireStream, ValidateRecordHire, DecideRecordHire>(
          "RecordHire", kByLeadUniversity),
      Row<v1::RecordDepartureRequest, FlatStream<v1::RecordDepartureRequest>,
          ValidateRecordDeparture, DecideRecordDeparture>("RecordDeparture", kByLeadUniversity),
      Row<v1::RetractResearcherStepRequest, FlatStream<v1::RetractResearcherStepRequest>,
          ValidateRetractResearcherStep, DecideRetractResearcherStep>("RetractResearcherStep",
                                                                      kByLeadUniversity),
  };
  return *rows;
}

}  // namespace alliance::domain
