// The program played from 2023 to 2028 over the wire: six consortia over two
// rounds, agreements and disbursements up to the limits, researchers
// enrolled, graduated, hired and leaving, a withdrawal, a suspension and
// corrections; every read model is checked against totals the test
// computes on its own.
//
// The test keeps its own model of the program (Model, below): plain structs
// updated from each command the test sends and the server accepts, never
// from the server's answers. At checkpoints it builds from the model the
// ConsortiumStatus, ProgramSummary and ParticipantStatus the server should
// return and compares every field; at the end it also compares the whole
// event log, the listing, and the read models across a restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/service/test_server.h"

namespace alliance::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;

// ---- Dates ------------------------------------------------------------------------

// Midnight UTC of a calendar day, in unix seconds.
int64_t At(int year, int month, int day) {
  return absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone()));
}

int32_t UtcYearOf(int64_t unix_seconds) {
  return static_cast<int32_t>(
      absl::ToCivilYear(absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone()).year());
}

std::string ProgramStream(const std::string& program_id) { return "program-" + program_id; }
std::string ConsortiumStream(const std::string& consortium_id) {
  return "consortium-" + consortium_id;
}

// The payload's message name, e.g. "FundsDisbursed" (EventEnvelope.event_type).
std::string EventTypeOf(const v1::Event& event) {
  const google::protobuf::OneofDescriptor* kind = v1::Event::descriptor()->FindOneofByName("kind");
  const google::protobuf::FieldDescriptor* field =
      event.GetReflection()->GetOneofFieldDescriptor(event, kind);
  return field == nullptr ? "" : field->message_type()->name();
}

// ---- The test's own model of the program ---------------------------------------------

// One program year of one consortium: its agreement and what was paid.
struct YearMoney {
  bool agreement_signed = false;
  int64_t committed_krw = 0;
  int64_t disbursed_krw = 0;  // paid minus reversed
  int32_t disbursement_count = 0;
  int32_t reversal_count = 0;
  int32_t amendment_count = 0;
  std::string agreement_reference;
  int64_t signed_at = 0;
  std::string agreement_event_id;  // the agreement's latest event
};

struct PaymentRecord {
  std::string consortium_id;
  int32_t program_year = 0;
  int64_t amount_krw = 0;
  std::string reference;
};

// One step of a researcher's record, as sent.
struct StepRecord {
  std::string event_id;
  std::string event_type;
  int64_t at = 0;
  uint64_t position = 0;
  bool retracted = false;
  std::string retraction_event_id;
  std::string lab_id;
  v1::DegreeTrack track = v1::DEGREE_TRACK_UNSPECIFIED;
  v1::Degree degree = v1::DEGREE_UNSPECIFIED;
  std::string enterprise;
};

// Where a researcher stands, from the steps still in effect (types.proto,
// ResearcherStage): HIRED is "hired and still there", so a candidate hired
// before graduating stays HIRED when the degree comes.
struct Standing {
  v1::ResearcherStage stage = v1::RESEARCHER_STAGE_RETRACTED;
  std::string lab_id;
  v1::DegreeTrack track = v1::DEGREE_TRACK_UNSPECIFIED;
  v1::Degree degree = v1::DEGREE_UNSPECIFIED;
  std::string enterprise;
  int64_t enrolled_at = 0;
  int64_t graduated_at = 0;
  int64_t hired_at = 0;
  int64_t left_at = 0;
  std::optional<StepRecord> hire;  // the hire step in effect
};

Standing StandingFrom(const std::vector<StepRecord>& steps) {
  Standing s;
  for (const StepRecord& step : steps) {
    if (step.retracted) continue;
    if (step.event_type == "ResearcherEnrolled") {
      s = Standing{};
      s.stage = v1::RESEARCHER_STAGE_ENROLLED;
      s.lab_id = step.lab_id;
      s.track = step.track;
      s.enrolled_at = step.at;
    } else if (step.event_type == "ResearcherGraduated") {
      if (s.stage != v1::RESEARCHER_STAGE_HIRED) s.stage = v1::RESEARCHER_STAGE_GRADUATED;
      s.degree = step.degree;
      s.graduated_at = step.at;
    } else if (step.event_type == "ResearcherHired") {
      s.stage = v1::RESEARCHER_STAGE_HIRED;
      if (s.graduated_at == 0) s.degree = step.degree;  // the candidate degree
      s.enterprise = step.enterprise;
      s.hired_at = step.at;
      s.hire = step;
    } else if (step.event_type == "ResearcherLeft") {
      s.stage = v1::RESEARCHER_STAGE_LEFT;
      s.left_at = step.at;
    }
  }
  return s;
}

struct MemberRecord {
  v1::Participant participant;
  int64_t joined_at = 0;
  int64_t withdrawn_at = 0;
  std::string withdrawal_reason;
  bool current = true;
};

struct LabRecord {
  std::string lab_id;
  std::string name_ko;
  std::string university;
  int64_t at = 0;
};

struct StateRecord {
  v1::ConsortiumState state = v1::CONSORTIUM_STATE_UNSPECIFIED;
  std::string reason;
  int64_t at = 0;
  std::string event_id;
};

struct EvaluationRecord {
  v1::EvaluationGrade grade = v1::EVALUATION_GRADE_UNSPECIFIED;
  int32_t score = 0;
  std::string summary;
  int64_t evaluated_at = 0;  // of the evaluation; a correction does not re-date it
  std::string event_id;      // in effect
  std::string original_event_id;
  int32_t correction_count = 0;
};

struct ConsortiumModel {
  v1::ConsortiumSelected selection;   // as sent
  std::vector<MemberRecord> members;  // in the order they began
  std::vector<LabRecord> labs;
  std::map<int32_t, YearMoney> years;  // every year of the term
  std::map<std::string, std::vector<StepRecord>> researchers;
  std::vector<StateRecord> states;
  std::map<int32_t, EvaluationRecord> evaluations;

  v1::ConsortiumState state() const { return states.back().state; }
  int64_t disbursed_krw() const {
    int64_t total = 0;
    for (const auto& [year, money] : years) total += money.disbursed_krw;
    return total;
  }
  int64_t committed_krw() const {
    int64_t total = 0;
    for (const auto& [year, money] : years) total += money.committed_krw;
    return total;
  }
  // Hires that count: hired (still there or left), not retracted.
  int32_t hire_count() const {
    int32_t count = 0;
    for (const auto& [id, steps] : researchers) count += StandingFrom(steps).hire.has_value();
    return count;
  }
};

struct MembershipRecord {
  std::string consortium_id;
  std::string program_id;
  v1::ParticipantRole role = v1::PARTICIPANT_ROLE_UNSPECIFIED;
  bool lead = false;
  int64_t joined_at = 0;
  int64_t withdrawn_at = 0;
  bool current = true;
};

struct ParticipantModel {
  std::string name_ko;
  std::string name_en;
  std::vector<MembershipRecord> memberships;
  uint64_t last_position = 0;
};

struct RoundRecord {
  int32_t slots = 0;
  int64_t opened_at = 0;
  std::vector<std::string> consortium_ids;
};

struct LoggedEvent {
  uint64_t position = 0;
  std::string stream_id;
  uint64_t stream_version = 0;
  std::string event_id;
  std::string event_type;
  v1::Event payload;
};

// Applies each accepted command to plain data, as the rules of domain.md and
// the comments of the protos say it should change things.
class Model {
 public:
  // ---- Commands ----

  void Apply(const v1::EstablishProgramRequest& r) {
    program_ = r.program();
    v1::Event event;
    *event.mutable_program_established() = r.program();
    program_position_ = Append(ProgramStream(program_.program_id()), r.meta().event_id(), event);
  }

  void Apply(const v1::OpenSelectionRoundRequest& r) {
    RoundRecord& round = rounds_[r.round().round_year()];
    round.slots = r.round().slots();
    round.opened_at = r.round().occurred_at().seconds();
    v1::Event event;
    *event.mutable_selection_round_opened() = r.round();
    program_position_ = Append(ProgramStream(r.round().program_id()), r.meta().event_id(), event);
  }

  void Apply(const v1::SelectConsortiumRequest& r) {
    const v1::ConsortiumSelected& s = r.selection();
    v1::Event event;
    *event.mutable_consortium_selected() = s;
    const uint64_t position =
        Append(ConsortiumStream(s.consortium_id()), r.meta().event_id(), event);
    ConsortiumModel& c = consortia_[s.consortium_id()];
    c.selection = s;
    const int32_t last_year = s.round_year() + program_.rules().consortium_term_years() - 1;
    for (int32_t year = s.round_year(); year <= last_year; ++year) c.years[year];
    for (const v1::Participant& p : s.participants()) {
      AddMember(s.consortium_id(), p, s.occurred_at().seconds(), position);
    }
    // The service's own word for the first state.
    c.states.push_back(
        {v1::CONSORTIUM_STATE_ACTIVE, "selected", s.occurred_at().seconds(), r.meta().event_id()});
    rounds_[s.round_year()].consortium_ids.push_back(s.consortium_id());
    program_position_ = position;
  }

  void Apply(const v1::DesignateLabRequest& r) {
    const v1::LabDesignated& d = r.designation();
    v1::Event event;
    *event.mutable_lab_designated() = d;
    Append(ConsortiumStream(d.consortium_id()), r.meta().event_id(), event);
    consortia_.at(d.consortium_id())
        .labs.push_back({d.lab_id(), d.lab_name_ko(), d.university_participant_id(),
                         d.occurred_at().seconds()});
  }

  void Apply(const v1::SignAgreementRequest& r) {
    const v1::AgreementSigned& a = r.agreement();
    v1::Event event;
    *event.mutable_agreement_signed() = a;
    program_position_ = Append(ConsortiumStream(a.consortium_id()), r.meta().event_id(), event);
    YearMoney& money = consortia_.at(a.consortium_id()).years.at(a.program_year());
    money.agreement_signed = true;
    money.committed_krw = a.grant_krw();
    money.agreement_reference = a.agreement_reference();
    money.signed_at = a.occurred_at().seconds();
    money.agreement_event_id = r.meta().event_id();
    touched_years_.insert(a.program_year());
  }

  void Apply(const v1::AmendAgreementRequest& r) {
    YearMoney& money = consortia_.at(r.consortium_id()).years.at(r.program_year());
    v1::Event event;
    v1::AgreementAmended* amended = event.mutable_agreement_amended();
    amended->set_consortium_id(r.consortium_id());
    amended->set_program_year(r.program_year());
    amended->set_grant_krw(r.grant_krw());
    amended->set_previous_grant_krw(money.committed_krw);
    amended->set_corrects_event_id(money.agreement_event_id);
    amended->set_reason(r.reason());
    *amended->mutable_occurred_at() = r.occurred_at();
    program_position_ = Append(ConsortiumStream(r.consortium_id()), r.meta().event_id(), event);
    money.committed_krw = r.grant_krw();
    money.amendment_count += 1;
    money.agreement_event_id = r.meta().event_id();
    touched_years_.insert(r.program_year());
  }

  void Apply(const v1::DisburseFundsRequest& r) { Pay(r.meta().event_id(), r.disbursement()); }

  void Apply(const v1::DisburseFundsBatchRequest& r) {
    for (int i = 0; i < r.disbursements_size(); ++i) {
      const std::string event_id =
          i == 0 ? r.meta().event_id() : r.meta().event_id() + "#" + std::to_string(i);
      Pay(event_id, r.disbursements(i));
    }
  }

  void Apply(const v1::ReverseDisbursementRequest& r) {
    const PaymentRecord& paid = payments_.at(r.corrects_event_id());
    v1::Event event;
    v1::DisbursementReversed* reversed = event.mutable_disbursement_reversed();
    reversed->set_consortium_id(r.consortium_id());
    reversed->set_corrects_event_id(r.corrects_event_id());
    reversed->set_program_year(paid.program_year);
    reversed->set_amount_krw(paid.amount_krw);
    reversed->set_payment_reference(paid.reference);
    reversed->set_reason(r.reason());
    *reversed->mutable_occurred_at() = r.occurred_at();
    program_position_ = Append(ConsortiumStream(r.consortium_id()), r.meta().event_id(), event);
    YearMoney& money = consortia_.at(r.consortium_id()).years.at(paid.program_year);
    money.disbursed_krw -= paid.amount_krw;
    money.reversal_count += 1;
  }

  void Apply(const v1::JoinConsortiumRequest& r) {
    const v1::ParticipantJoined& j = r.joining();
    v1::Event event;
    *event.mutable_participant_joined() = j;
    const uint64_t position =
        Append(ConsortiumStream(j.consortium_id()), r.meta().event_id(), event);
    AddMember(j.consortium_id(), j.participant(), j.occurred_at().seconds(), position);
  }

  void Apply(const v1::WithdrawParticipantRequest& r) {
    ConsortiumModel& c = consortia_.at(r.consortium_id());
    MemberRecord* member = nullptr;
    for (MemberRecord& m : c.members) {
      if (m.current && m.participant.participant_id() == r.participant_id()) member = &m;
    }
    ASSERT_NE(member, nullptr) << "the model has no member " << r.participant_id();
    v1::Event event;
    v1::ParticipantWithdrew* withdrew = event.mutable_participant_withdrew();
    withdrew->set_consortium_id(r.consortium_id());
    withdrew->set_participant_id(r.participant_id());
    withdrew->set_role(member->participant.role());
    withdrew->set_reason(r.reason());
    *withdrew->mutable_occurred_at() = r.occurred_at();
    const uint64_t position =
        Append(ConsortiumStream(r.consortium_id()), r.meta().event_id(), event);
    member->current = false;
    member->withdrawn_at = r.occurred_at().seconds();
    member->withdrawal_reason = r.reason();
    ParticipantModel& p = participants_.at(r.participant_id());
    for (MembershipRecord& m : p.memberships) {
      if (!m.current || m.consortium_id != r.consortium_id()) continue;
      m.current = false;
      m.withdrawn_at = r.occurred_at().seconds();
    }
    p.last_position = position;
  }

  void Apply(const v1::EnrolResearcherRequest& r) {
    const v1::ResearcherEnrolled& e = r.enrolment();
    v1::Event event;
    *event.mutable_researcher_enrolled() = e;
    StepRecord step;
    step.event_type = "ResearcherEnrolled";
    step.at = e.occurred_at().seconds();
    step.lab_id = e.lab_id();
    step.track = e.track();
    AddStep(e.consortium_id(), e.researcher_id(), r.meta().event_id(), event, step);
    touched_years_.insert(UtcYearOf(step.at));
  }

  void Apply(const v1::RecordGraduationRequest& r) {
    const Standing before = StandingOf(r.consortium_id(), r.researcher_id());
    const v1::Degree degree =
        before.track == v1::DEGREE_TRACK_PHD ? v1::DEGREE_PHD : v1::DEGREE_MASTERS;
    v1::Event event;
    v1::ResearcherGraduated* graduated = event.mutable_researcher_graduated();
    graduated->set_consortium_id(r.consortium_id());
    graduated->set_researcher_id(r.researcher_id());
    graduated->set_degree(degree);
    *graduated->mutable_occurred_at() = r.occurred_at();
    StepRecord step;
    step.event_type = "ResearcherGraduated";
    step.at = r.occurred_at().seconds();
    step.degree = degree;
    AddStep(r.consortium_id(), r.researcher_id(), r.meta().event_id(), event, step);
  }

  void Apply(const v1::RecordHireRequest& r) {
    const v1::ResearcherHired& h = r.hire();
    v1::Event event;
    *event.mutable_researcher_hired() = h;
    StepRecord step;
    step.event_type = "ResearcherHired";
    step.at = h.occurred_at().seconds();
    step.degree = h.degree();
    step.lab_id = h.lab_id();
    step.enterprise = h.enterprise_participant_id();
    AddStep(h.consortium_id(), h.researcher_id(), r.meta().event_id(), event, step);
    touched_years_.insert(UtcYearOf(step.at));
  }

  void Apply(const v1::RecordDepartureRequest& r) {
    const Standing before = StandingOf(r.consortium_id(), r.researcher_id());
    v1::Event event;
    v1::ResearcherLeft* left = event.mutable_researcher_left();
    left->set_consortium_id(r.consortium_id());
    left->set_researcher_id(r.researcher_id());
    left->set_enterprise_participant_id(before.enterprise);
    left->set_reason(r.reason());
    *left->mutable_occurred_at() = r.occurred_at();
    StepRecord step;
    step.event_type = "ResearcherLeft";
    step.at = r.occurred_at().seconds();
    step.enterprise = before.enterprise;
    AddStep(r.consortium_id(), r.researcher_id(), r.meta().event_id(), event, step);
  }

  void Apply(const v1::RetractResearcherStepRequest& r) {
    ConsortiumModel& c = consortia_.at(r.consortium_id());
    std::string researcher_id;
    std::string event_type;
    for (const auto& [id, steps] : c.researchers) {
      for (const StepRecord& step : steps) {
        if (step.event_id != r.corrects_event_id()) continue;
        researcher_id = id;
        event_type = step.event_type;
      }
    }
    ASSERT_FALSE(researcher_id.empty()) << "the model has no step " << r.corrects_event_id();
    v1::Event event;
    v1::ResearcherStepRetracted* retracted = event.mutable_researcher_step_retracted();
    retracted->set_consortium_id(r.consortium_id());
    retracted->set_researcher_id(researcher_id);
    retracted->set_corrects_event_id(r.corrects_event_id());
    retracted->set_retracted_event_type(event_type);
    retracted->set_reason(r.reason());
    *retracted->mutable_occurred_at() = r.occurred_at();
    const uint64_t position =
        Append(ConsortiumStream(r.consortium_id()), r.meta().event_id(), event);
    ChangeResearcher(r.consortium_id(), researcher_id, position,
                     [&](std::vector<StepRecord>& steps) {
                       for (StepRecord& step : steps) {
                         if (step.event_id != r.corrects_event_id()) continue;
                         step.retracted = true;
                         step.retraction_event_id = r.meta().event_id();
                       }
                     });
  }

  void Apply(const v1::RecordEvaluationRequest& r) {
    const v1::EvaluationRecorded& e = r.evaluation();
    v1::Event event;
    *event.mutable_evaluation_recorded() = e;
    Append(ConsortiumStream(e.consortium_id()), r.meta().event_id(), event);
    consortia_.at(e.consortium_id()).evaluations[e.program_year()] = {
        e.grade(),           e.score(), e.summary(), e.occurred_at().seconds(), r.meta().event_id(),
        r.meta().event_id(), 0};
  }

  void Apply(const v1::CorrectEvaluationRequest& r) {
    ConsortiumModel& c = consortia_.at(r.consortium_id());
    int32_t year = 0;
    for (const auto& [y, evaluation] : c.evaluations) {
      if (evaluation.event_id == r.corrects_event_id()) year = y;
    }
    ASSERT_NE(year, 0) << "the model has no evaluation " << r.corrects_event_id();
    v1::Event event;
    v1::EvaluationCorrected* corrected = event.mutable_evaluation_corrected();
    corrected->set_consortium_id(r.consortium_id());
    corrected->set_corrects_event_id(r.corrects_event_id());
    corrected->set_program_year(year);
    corrected->set_grade(r.grade());
    corrected->set_score(r.score());
    corrected->set_reason(r.reason());
    *corrected->mutable_occurred_at() = r.occurred_at();
    Append(ConsortiumStream(r.consortium_id()), r.meta().event_id(), event);
    EvaluationRecord& evaluation = c.evaluations.at(year);
    evaluation.grade = r.grade();
    evaluation.score = r.score();
    evaluation.event_id = r.meta().event_id();
    evaluation.correction_count += 1;
  }

  // Suspend (to SUSPENDED), resume (to ACTIVE), terminate, complete.
  void ApplyStateChange(v1::ConsortiumState to, const v1::ChangeConsortiumStateRequest& r) {
    v1::Event event;
    std::string reason = r.reason();
    switch (to) {
      case v1::CONSORTIUM_STATE_SUSPENDED:
        event.mutable_consortium_suspended()->set_consortium_id(r.consortium_id());
        event.mutable_consortium_suspended()->set_reason(r.reason());
        *event.mutable_consortium_suspended()->mutable_occurred_at() = r.occurred_at();
        break;
      case v1::CONSORTIUM_STATE_ACTIVE:
        event.mutable_consortium_resumed()->set_consortium_id(r.consortium_id());
        event.mutable_consortium_resumed()->set_reason(r.reason());
        *event.mutable_consortium_resumed()->mutable_occurred_at() = r.occurred_at();
        break;
      case v1::CONSORTIUM_STATE_TERMINATED:
        event.mutable_consortium_terminated()->set_consortium_id(r.consortium_id());
        event.mutable_consortium_terminated()->set_reason(r.reason());
        *event.mutable_consortium_terminated()->mutable_occurred_at() = r.occurred_at();
        break;
      default:
        event.mutable_consortium_completed()->set_consortium_id(r.consortium_id());
        *event.mutable_consortium_completed()->mutable_occurred_at() = r.occurred_at();
        // ConsortiumCompleted carries no reason: the service's own words.
        reason = "term completed";
        break;
    }
    program_position_ = Append(ConsortiumStream(r.consortium_id()), r.meta().event_id(), event);
    consortia_.at(r.consortium_id())
        .states.push_back({to, reason, r.occurred_at().seconds(), r.meta().event_id()});
  }

  // ---- What the story asks of the model ----

  const std::vector<LoggedEvent>& log() const { return log_; }
  const std::map<std::string, ConsortiumModel>& consortia() const { return consortia_; }
  const std::map<std::string, ParticipantModel>& participants() const { return participants_; }
  uint64_t PositionOf(const std::string& event_id) const {
    for (const LoggedEvent& event : log_) {
      if (event.event_id == event_id) return event.position;
    }
    return 0;
  }
  Standing StandingOf(const std::string& consortium_id, const std::string& researcher_id) const {
    const ConsortiumModel& c = consortia_.at(consortium_id);
    auto it = c.researchers.find(researcher_id);
    return it == c.researchers.end() ? Standing{} : StandingFrom(it->second);
  }
  int64_t DisbursedTotal() const {
    int64_t total = 0;
    for (const auto& [id, c] : consortia_) total += c.disbursed_krw();
    return total;
  }
  int64_t AgreedTotal() const {
    int64_t total = 0;
    for (const auto& [id, c] : consortia_) total += c.committed_krw();
    return total;
  }
  int32_t HireCount() const {
    int32_t total = 0;
    for (const auto& [id, c] : consortia_) total += c.hire_count();
    return total;
  }

  // ---- The read models the server should show ----

  v1::ConsortiumStatus ExpectedConsortium(const std::string& id) const;
  v1::ProgramSummary ExpectedProgram() const;
  v1::ParticipantStatus ExpectedParticipant(const std::string& id) const;

 private:
  uint64_t Append(const std::string& stream_id, const std::string& event_id,
                  const v1::Event& payload) {
    LoggedEvent event;
    event.position = log_.size() + 1;
    event.stream_id = stream_id;
    event.stream_version = ++stream_versions_[stream_id];
    event.event_id = event_id;
    event.event_type = EventTypeOf(payload);
    event.payload = payload;
    log_.push_back(std::move(event));
    return log_.back().position;
  }

  void Pay(const std::string& event_id, const v1::FundsDisbursed& funds) {
    v1::Event event;
    *event.mutable_funds_disbursed() = funds;
    program_position_ = Append(ConsortiumStream(funds.consortium_id()), event_id, event);
    YearMoney& money = consortia_.at(funds.consortium_id()).years.at(funds.program_year());
    money.disbursed_krw += funds.amount_krw();
    money.disbursement_count += 1;
    payments_[event_id] = {funds.consortium_id(), funds.program_year(), funds.amount_krw(),
                           funds.payment_reference()};
    touched_years_.insert(funds.program_year());
  }

  void AddMember(const std::string& consortium_id, const v1::Participant& participant, int64_t at,
                 uint64_t position) {
    ConsortiumModel& c = consortia_.at(consortium_id);
    c.members.push_back({participant, at, 0, "", true});
    ParticipantModel& p = participants_[participant.participant_id()];
    p.name_ko = participant.name_ko();
    p.name_en = participant.name_en();
    p.memberships.push_back({consortium_id, c.selection.program_id(), participant.role(),
                             participant.participant_id() == c.selection.lead_participant_id(), at,
                             0, true});
    p.last_position = position;
  }

  void AddStep(const std::string& consortium_id, const std::string& researcher_id,
               const std::string& event_id, const v1::Event& event, StepRecord step) {
    const uint64_t position = Append(ConsortiumStream(consortium_id), event_id, event);
    step.event_id = event_id;
    step.position = position;
    ChangeResearcher(consortium_id, researcher_id, position,
                     [&](std::vector<StepRecord>& steps) { steps.push_back(step); });
  }

  // A researcher's step changes the program's counts and the record of the
  // enterprise that employs (or employed) the researcher, before or after.
  void ChangeResearcher(const std::string& consortium_id, const std::string& researcher_id,
                        uint64_t position,
                        const std::function<void(std::vector<StepRecord>&)>& change) {
    std::vector<StepRecord>& steps = consortia_.at(consortium_id).researchers[researcher_id];
    const Standing before = StandingFrom(steps);
    change(steps);
    const Standing after = StandingFrom(steps);
    for (const std::string* enterprise : {&before.enterprise, &after.enterprise}) {
      if (!enterprise->empty()) participants_.at(*enterprise).last_position = position;
    }
    program_position_ = position;
  }

  v1::ProgramEstablished program_;
  // The last event that folds into the program's summary: the program's
  // own, selections, agreements, money, researchers' steps, state changes
  // (not labs, membership changes or evaluations, which it does not show).
  uint64_t program_position_ = 0;
  std::map<int32_t, RoundRecord> rounds_;
  std::map<std::string, ConsortiumModel> consortia_;
  std::map<std::string, ParticipantModel> participants_;
  std::map<std::string, PaymentRecord> payments_;  // by event id
  // Years something is agreed for, paid for, or dated in (hire, enrolment).
  std::set<int32_t> touched_years_;
  std::vector<LoggedEvent> log_;
  std::map<std::string, uint64_t> stream_versions_;
};

v1::ConsortiumStatus Model::ExpectedConsortium(const std::string& id) const {
  const ConsortiumModel& c = consortia_.at(id);
  const v1::ConsortiumSelected& s = c.selection;
  const v1::ProgramRules& rules = program_.rules();
  v1::ConsortiumStatus x;
  x.set_consortium_id(id);
  x.set_program_id(s.program_id());
  x.set_round_year(s.round_year());
  x.set_region_code(s.region_code());
  x.set_region_name_ko(s.region_name_ko());
  x.set_field_ko(s.field_ko());
  x.set_field_en(s.field_en());
  x.set_lead_participant_id(s.lead_participant_id());
  for (const MemberRecord& m : c.members) {
    if (m.current) *x.add_participants() = m.participant;
  }
  *x.mutable_selected_at() = s.occurred_at();
  x.set_term_first_year(s.round_year());
  x.set_term_last_year(s.round_year() + rules.consortium_term_years() - 1);
  for (const LabRecord& lab : c.labs) {
    v1::Lab* out = x.add_labs();
    out->set_lab_id(lab.lab_id);
    out->set_lab_name_ko(lab.name_ko);
    out->set_university_participant_id(lab.university);
    *out->mutable_designated_at() = Timestamp(lab.at);
  }
  for (const auto& [year, money] : c.years) {
    v1::YearFunding* f = x.add_funding_by_year();
    f->set_program_year(year);
    f->set_disbursed_krw(money.disbursed_krw);
    f->set_annual_limit_krw(rules.consortium_annual_limit_krw());
    f->set_remaining_krw(rules.consortium_annual_limit_krw() - money.disbursed_krw);
    f->set_disbursement_count(money.disbursement_count);
    f->set_reversal_count(money.reversal_count);
    f->set_committed_krw(money.committed_krw);
    f->set_remaining_commitment_krw(money.committed_krw - money.disbursed_krw);
    f->set_agreement_signed(money.agreement_signed);
    f->set_agreement_reference(money.agreement_reference);
    if (money.agreement_signed) *f->mutable_agreement_signed_at() = Timestamp(money.signed_at);
    f->set_agreement_event_id(money.agreement_event_id);
    f->set_amendment_count(money.amendment_count);
  }
  x.set_disbursed_total_krw(c.disbursed_krw());
  x.set_limit_total_krw(rules.consortium_limit_krw());
  x.set_remaining_total_krw(rules.consortium_limit_krw() - c.disbursed_krw());

  // Hires in the order of their events in the log.
  std::vector<std::pair<uint64_t, v1::Hire>> hires;
  for (const auto& [researcher_id, steps] : c.researchers) {
    const Standing standing = StandingFrom(steps);
    if (!standing.hire.has_value()) continue;
    v1::Hire hire;
    hire.set_researcher_id(researcher_id);
    hire.set_degree(standing.hire->degree);
    hire.set_lab_id(standing.lab_id);
    hire.set_enterprise_participant_id(standing.hire->enterprise);
    *hire.mutable_hired_at() = Timestamp(standing.hire->at);
    hire.set_event_id(standing.hire->event_id);
    if (standing.left_at != 0) *hire.mutable_left_at() = Timestamp(standing.left_at);
    hires.emplace_back(standing.hire->position, hire);
  }
  std::sort(hires.begin(), hires.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [position, hire] : hires) *x.add_hires() = hire;

  for (const LoggedEvent& event : log_) {
    if (event.stream_id != ConsortiumStream(id)) continue;
    x.set_stream_version(event.stream_version);
    x.set_last_global_position(event.position);
  }
  x.set_state(c.state());
  for (const StateRecord& state : c.states) {
    v1::StateChange* change = x.add_state_history();
    change->set_state(state.state);
    change->set_reason(state.reason);
    *change->mutable_occurred_at() = Timestamp(state.at);
    change->set_event_id(state.event_id);
  }
  for (const MemberRecord& m : c.members) {
    v1::Membership* member = x.add_members();
    *member->mutable_participant() = m.participant;
    *member->mutable_joined_at() = Timestamp(m.joined_at);
    if (!m.current) *member->mutable_withdrawn_at() = Timestamp(m.withdrawn_at);
    member->set_current(m.current);
    member->set_withdrawal_reason(m.withdrawal_reason);
  }
  v1::ResearcherCounts* counts = x.mutable_researcher_counts();
  for (const auto& [researcher_id, steps] : c.researchers) {
    const Standing standing = StandingFrom(steps);
    v1::Researcher* researcher = x.add_researchers();
    researcher->set_researcher_id(researcher_id);
    researcher->set_stage(standing.stage);
    researcher->set_lab_id(standing.lab_id);
    researcher->set_track(standing.track);
    researcher->set_degree(standing.degree);
    researcher->set_enterprise_participant_id(standing.enterprise);
    if (standing.enrolled_at) *researcher->mutable_enrolled_at() = Timestamp(standing.enrolled_at);
    if (standing.graduated_at) {
      *researcher->mutable_graduated_at() = Timestamp(standing.graduated_at);
    }
    if (standing.hired_at) *researcher->mutable_hired_at() = Timestamp(standing.hired_at);
    if (standing.left_at) *researcher->mutable_left_at() = Timestamp(standing.left_at);
    for (const StepRecord& step : steps) {
      v1::ResearcherStep* out = researcher->add_steps();
      out->set_event_id(step.event_id);
      out->set_event_type(step.event_type);
      *out->mutable_occurred_at() = Timestamp(step.at);
      out->set_global_position(step.position);
      out->set_retracted(step.retracted);
      out->set_retraction_event_id(step.retraction_event_id);
      out->set_lab_id(step.lab_id);
      out->set_track(step.track);
      out->set_degree(step.degree);
      out->set_enterprise_participant_id(step.enterprise);
    }
    switch (standing.stage) {
      case v1::RESEARCHER_STAGE_ENROLLED:
        counts->set_enrolled(counts->enrolled() + 1);
        break;
      case v1::RESEARCHER_STAGE_GRADUATED:
        counts->set_graduated(counts->graduated() + 1);
        break;
      case v1::RESEARCHER_STAGE_HIRED:
        counts->set_hired(counts->hired() + 1);
        break;
      case v1::RESEARCHER_STAGE_LEFT:
        counts->set_left(counts->left() + 1);
        break;
      default:
        counts->set_retracted(counts->retracted() + 1);
        break;
    }
  }
  x.set_hire_count(c.hire_count());
  // The consortium's share of the hiring target, rounded up.
  x.set_hire_target(static_cast<int32_t>(
      (rules.hiring_target() * rules.consortium_limit_krw() + rules.total_budget_krw() - 1) /
      rules.total_budget_krw()));
  for (const auto& [year, e] : c.evaluations) {
    v1::Evaluation* evaluation = x.add_evaluations();
    evaluation->set_program_year(year);
    evaluation->set_grade(e.grade);
    evaluation->set_score(e.score);
    evaluation->set_summary(e.summary);
    *evaluation->mutable_evaluated_at() = Timestamp(e.evaluated_at);
    evaluation->set_event_id(e.event_id);
    evaluation->set_original_event_id(e.original_event_id);
    evaluation->set_correction_count(e.correction_count);
  }
  x.set_committed_total_krw(c.committed_krw());
  return x;
}

v1::ProgramSummary Model::ExpectedProgram() const {
  const v1::ProgramRules& rules = program_.rules();
  v1::ProgramSummary x;
  x.set_program_id(program_.program_id());
  x.set_name_ko(program_.name_ko());
  x.set_name_en(program_.name_en());
  x.set_ministry(program_.ministry());
  x.set_managing_agency(program_.managing_agency());
  *x.mutable_rules() = rules;
  x.set_consortium_count(static_cast<int32_t>(consortia_.size()));
  x.set_committed_krw(static_cast<int64_t>(consortia_.size()) * rules.consortium_limit_krw());
  x.set_uncommitted_krw(rules.total_budget_krw() - x.committed_krw());
  x.set_disbursed_total_krw(DisbursedTotal());
  x.set_hire_count(HireCount());
  x.set_hiring_target(rules.hiring_target());
  *x.mutable_established_at() = program_.occurred_at();
  x.set_last_global_position(program_position_);
  x.set_agreed_total_krw(AgreedTotal());

  std::map<std::string, v1::RegionSummary> regions;
  std::map<std::string, v1::FieldSummary> fields;
  std::map<int32_t, v1::YearSummary> years;
  for (int32_t year : touched_years_) years[year].set_program_year(year);
  v1::ResearcherCounts* counts = x.mutable_researcher_counts();
  // In selection order, so the first consortium of a region names it.
  for (const auto& [round_year, round] : rounds_) {
    for (const std::string& id : round.consortium_ids) {
      const ConsortiumModel& c = consortia_.at(id);
      v1::RegionSummary& region = regions[c.selection.region_code()];
      region.set_region_code(c.selection.region_code());
      if (region.region_name_ko().empty()) region.set_region_name_ko(c.selection.region_name_ko());
      region.set_consortium_count(region.consortium_count() + 1);
      region.set_disbursed_krw(region.disbursed_krw() + c.disbursed_krw());
      region.set_hire_count(region.hire_count() + c.hire_count());
      v1::FieldSummary& field = fields[c.selection.field_ko()];
      field.set_field_ko(c.selection.field_ko());
      if (field.field_en().empty()) field.set_field_en(c.selection.field_en());
      field.set_consortium_count(field.consortium_count() + 1);
      field.set_disbursed_krw(field.disbursed_krw() + c.disbursed_krw());
      field.set_hire_count(field.hire_count() + c.hire_count());
      for (const auto& [year, money] : c.years) {
        if (!years.contains(year)) continue;  // nothing agreed or paid for it yet
        years[year].set_disbursed_krw(years[year].disbursed_krw() + money.disbursed_krw);
        years[year].set_agreed_krw(years[year].agreed_krw() + money.committed_krw);
      }
      for (const auto& [researcher_id, steps] : c.researchers) {
        const Standing standing = StandingFrom(steps);
        if (standing.hire.has_value()) {
          v1::YearSummary& year = years[UtcYearOf(standing.hired_at)];
          year.set_hire_count(year.hire_count() + 1);
        }
        if (standing.enrolled_at != 0) {
          v1::YearSummary& year = years[UtcYearOf(standing.enrolled_at)];
          year.set_enrolment_count(year.enrolment_count() + 1);
        }
        switch (standing.stage) {
          case v1::RESEARCHER_STAGE_ENROLLED:
            counts->set_enrolled(counts->enrolled() + 1);
            break;
          case v1::RESEARCHER_STAGE_GRADUATED:
            counts->set_graduated(counts->graduated() + 1);
            break;
          case v1::RESEARCHER_STAGE_HIRED:
            counts->set_hired(counts->hired() + 1);
            break;
          case v1::RESEARCHER_STAGE_LEFT:
            counts->set_left(counts->left() + 1);
            break;
          default:
            counts->set_retracted(counts->retracted() + 1);
            break;
        }
      }
      switch (c.state()) {
        case v1::CONSORTIUM_STATE_ACTIVE:
          x.set_active_count(x.active_count() + 1);
          break;
        case v1::CONSORTIUM_STATE_SUSPENDED:
          x.set_suspended_count(x.suspended_count() + 1);
          break;
        case v1::CONSORTIUM_STATE_TERMINATED:
          x.set_terminated_count(x.terminated_count() + 1);
          break;
        default:
          x.set_completed_count(x.completed_count() + 1);
          break;
      }
    }
  }
  for (const auto& [code, region] : regions) *x.add_by_region() = region;
  for (const auto& [year, summary] : years) *x.add_by_year() = summary;
  for (const auto& [round_year, round] : rounds_) {
    v1::SelectionRound* out = x.add_rounds();
    out->set_round_year(round_year);
    out->set_slots(round.slots);
    out->set_selected_count(static_cast<int32_t>(round.consortium_ids.size()));
    *out->mutable_opened_at() = Timestamp(round.opened_at);
    for (const std::string& id : round.consortium_ids) out->add_consortium_ids(id);
  }
  for (const auto& [field_ko, field] : fields) *x.add_by_field() = field;
  return x;
}

v1::ParticipantStatus Model::ExpectedParticipant(const std::string& id) const {
  const ParticipantModel& p = participants_.at(id);
  v1::ParticipantStatus x;
  x.set_participant_id(id);
  x.set_name_ko(p.name_ko);
  x.set_name_en(p.name_en);
  for (const MembershipRecord& m : p.memberships) {
    v1::ParticipantMembership* out = x.add_memberships();
    out->set_consortium_id(m.consortium_id);
    out->set_program_id(m.program_id);
    out->set_role(m.role);
    out->set_lead(m.lead);
    *out->mutable_joined_at() = Timestamp(m.joined_at);
    if (!m.current) *out->mutable_withdrawn_at() = Timestamp(m.withdrawn_at);
    out->set_current(m.current);
  }
  // The hires it made that count, by hire date.
  std::vector<std::tuple<int64_t, std::string, std::string, v1::ParticipantHire>> hires;
  for (const auto& [consortium_id, c] : consortia_) {
    for (const auto& [researcher_id, steps] : c.researchers) {
      const Standing standing = StandingFrom(steps);
      if (!standing.hire.has_value() || standing.hire->enterprise != id) continue;
      v1::ParticipantHire hire;
      hire.set_consortium_id(consortium_id);
      hire.set_researcher_id(researcher_id);
      hire.set_degree(standing.hire->degree);
      *hire.mutable_hired_at() = Timestamp(standing.hire->at);
      if (standing.left_at != 0) *hire.mutable_left_at() = Timestamp(standing.left_at);
      hire.set_event_id(standing.hire->event_id);
      hires.emplace_back(standing.hire->at, consortium_id, researcher_id, hire);
    }
  }
  std::sort(hires.begin(), hires.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
  });
  for (const auto& entry : hires) *x.add_hires() = std::get<3>(entry);
  x.set_hire_count(x.hires_size());
  x.set_last_global_position(p.last_position);
  return x;
}

// ---- The people of the story ------------------------------------------------------------

// A consortium as the story uses it: its lab, the code its researchers'
// ids start with, and the two mid-sized enterprises that hire (A hires the
// odd-numbered researchers, B the even-numbered ones).
struct Cast {
  std::string id;
  std::string code;
  std::string lab;
  std::string ent_a;
  std::string ent_b;
};

Cast OtherCast(const std::string& id, const std::string& code) {
  return {id, code, LabIdOf(id), Pid(id + "-ent-1"), Pid(id + "-ent-2")};
}

std::string Rid(const Cast& c, int n) { return c.code + "-R" + std::to_string(n); }

// Researchers 2 and 4 of every lab are on the PhD track, the others on the
// master's.
v1::DegreeTrack TrackOf(int n) {
  return n == 2 || n == 4 ? v1::DEGREE_TRACK_PHD : v1::DEGREE_TRACK_MASTERS;
}

constexpr char kChungbuk[] = "chungbuk-bio-health";
constexpr char kJeonbuk[] = "jeonbuk-robotics";
constexpr char kGyeongbuk[] = "gyeongbuk-robotics";

// ---- The fixture: sending, checking, and the story's verbs --------------------------------

class ScenarioTest : public ServerTest {
 protected:
  // Names the step of the story that failure messages report.
  void Scene(std::string label) { scene_ = std::move(label); }

  // Sends a command the rules accept; on acceptance the model applies it and
  // the AppendResult must say where the model put its events.
  template <typename Request>
  bool Accept(const Request& request) {
    v1::AppendResult result;
    const grpc::Status status = Send(request, &result);
    if (!status.ok()) {
      ADD_FAILURE() << scene_ << ": " << Request::descriptor()->name()
                    << " refused: " << Describe(status) << "\n  " << request.ShortDebugString();
      return false;
    }
    const size_t first = model_.log().size();
    model_.Apply(request);
    ExpectAppendResult(result, request.meta().event_id(), first);
    ++accepted_commands_;
    return true;
  }

  bool AcceptState(StateChange change, const v1::ChangeConsortiumStateRequest& request) {
    v1::AppendResult result;
    const grpc::Status status = SendState(change, request, &result);
    if (!status.ok()) {
      ADD_FAILURE() << scene_ << ": state change refused: " << Describe(status) << "\n  "
                    << request.ShortDebugString();
      return false;
    }
    const size_t first = model_.log().size();
    model_.ApplyStateChange(TargetOf(change), request);
    ExpectAppendResult(result, request.meta().event_id(), first);
    ++accepted_commands_;
    return true;
  }

  static v1::ConsortiumState TargetOf(StateChange change) {
    switch (change) {
      case StateChange::kSuspend:
        return v1::CONSORTIUM_STATE_SUSPENDED;
      case StateChange::kResume:
        return v1::CONSORTIUM_STATE_ACTIVE;
      case StateChange::kTerminate:
        return v1::CONSORTIUM_STATE_TERMINATED;
      case StateChange::kComplete:
        return v1::CONSORTIUM_STATE_COMPLETED;
    }
    return v1::CONSORTIUM_STATE_UNSPECIFIED;
  }

  void ExpectAppendResult(const v1::AppendResult& result, const std::string& event_id,
                          size_t first) {
    const std::vector<LoggedEvent>& log = model_.log();
    ASSERT_GT(log.size(), first);
    const LoggedEvent& a = log[first];
    const LoggedEvent& b = log.back();
    EXPECT_EQ(result.event_id(), event_id) << scene_;
    EXPECT_EQ(result.stream_id(), b.stream_id) << scene_;
    EXPECT_EQ(result.first_stream_version(), a.stream_version) << scene_;
    EXPECT_EQ(result.stream_version(), b.stream_version) << scene_;
    EXPECT_EQ(result.first_global_position(), a.position) << scene_;
    EXPECT_EQ(result.global_position(), b.position) << scene_;
    EXPECT_EQ(result.event_count(), log.size() - first) << scene_;
    EXPECT_FALSE(result.replayed()) << scene_;
  }

  // A retry of an accepted command (same event id and content) is answered
  // with the original result and writes nothing.
  template <typename Request>
  void ExpectReplayed(const Request& request) {
    const StoreSnapshot before = Snapshot();
    v1::AppendResult result;
    const grpc::Status status = Send(request, &result);
    ASSERT_TRUE(status.ok()) << scene_ << ": " << Describe(status);
    EXPECT_TRUE(result.replayed()) << scene_;
    EXPECT_EQ(result.global_position(), model_.PositionOf(request.meta().event_id())) << scene_;
    EXPECT_EQ(Snapshot(), before) << scene_ << ": a replayed command wrote something";
  }

  // Sends a command the rules refuse: the code, the reason, and nothing
  // changed in the log or any read model.
  template <typename Request>
  void ExpectRefused(const Request& request, grpc::StatusCode code, const std::string& reason) {
    const StoreSnapshot before = Snapshot();
    const grpc::Status status = Send(request);
    EXPECT_EQ(status.error_code(), code) << scene_ << ": " << Describe(status);
    EXPECT_EQ(ReasonOf(status), reason) << scene_ << ": " << Describe(status);
    EXPECT_EQ(Snapshot(), before) << scene_ << ": the refused " << Request::descriptor()->name()
                                  << " changed the log or a read model";
  }

  void ExpectStateRefused(StateChange change, const v1::ChangeConsortiumStateRequest& request,
                          grpc::StatusCode code, const std::string& reason) {
    const StoreSnapshot before = Snapshot();
    const grpc::Status status = SendState(change, request);
    EXPECT_EQ(status.error_code(), code) << scene_ << ": " << Describe(status);
    EXPECT_EQ(ReasonOf(status), reason) << scene_ << ": " << Describe(status);
    EXPECT_EQ(Snapshot(), before) << scene_ << ": the refused state change changed something";
  }

  // ---- The story's verbs: build the request with its date, and Accept it ----

  void Select(v1::SelectConsortiumRequest request, const std::string& field_ko,
              const std::string& field_en, int64_t at) {
    request.mutable_selection()->set_field_ko(field_ko);
    request.mutable_selection()->set_field_en(field_en);
    *request.mutable_selection()->mutable_occurred_at() = Timestamp(at);
    Accept(request);
  }

  void OpenRound(int32_t year, int32_t slots, int64_t at) {
    v1::OpenSelectionRoundRequest request = RoundRequest(year, slots);
    *request.mutable_round()->mutable_occurred_at() = Timestamp(at);
    Accept(request);
  }

  void Designate(const std::string& consortium_id, int64_t at) {
    v1::DesignateLabRequest request = LabRequest(consortium_id);
    *request.mutable_designation()->mutable_occurred_at() = Timestamp(at);
    Accept(request);
  }

  void Sign(const std::string& consortium_id, int32_t year, int64_t grant_krw, int64_t at) {
    v1::SignAgreementRequest request = AgreementRequest(consortium_id, year, grant_krw);
    *request.mutable_agreement()->mutable_occurred_at() = Timestamp(at);
    Accept(request);
  }

  v1::AmendAgreementRequest AmendAt(const std::string& consortium_id, int32_t year,
                                    int64_t grant_krw, int64_t at) {
    v1::AmendAgreementRequest request = AmendRequest(consortium_id, year, grant_krw);
    *request.mutable_occurred_at() = Timestamp(at);
    return request;
  }

  // The paying agency's next reference for the consortium's year.
  std::string NextReference(const std::string& consortium_id, int32_t year) {
    const int n = ++references_[{consortium_id, year}];
    return "KIAT-" + std::to_string(year) + "-" + consortium_id + "-" + std::to_string(n);
  }

  v1::DisburseFundsRequest DisburseAt(const std::string& consortium_id, int32_t year,
                                      int64_t amount_krw, const std::string& reference,
                                      int64_t at) {
    v1::DisburseFundsRequest request = DisburseRequest(consortium_id, year, amount_krw, reference);
    *request.mutable_disbursement()->mutable_occurred_at() = Timestamp(at);
    return request;
  }

  // One payment; returns its event id (what a reversal names).
  std::string Pay(const std::string& consortium_id, int32_t year, int64_t amount_krw,
                  const std::string& reference, int64_t at) {
    const v1::DisburseFundsRequest request =
        DisburseAt(consortium_id, year, amount_krw, reference, at);
    Accept(request);
    return request.meta().event_id();
  }

  // The year's payments, in instalments on 15 June, 15 September and 14
  // November.
  void PayInstalments(const std::string& consortium_id, int32_t year,
                      const std::vector<int64_t>& amounts_krw) {
    const int64_t dates[] = {At(year, 6, 15), At(year, 9, 15), At(year, 11, 14)};
    ASSERT_LE(amounts_krw.size(), 3u);
    for (size_t i = 0; i < amounts_krw.size(); ++i) {
      Pay(consortium_id, year, amounts_krw[i], NextReference(consortium_id, year), dates[i]);
    }
  }

  void PayRun(const std::string& consortium_id, int32_t year, const std::vector<int64_t>& amounts,
              const std::string& prefix, int64_t at) {
    v1::DisburseFundsBatchRequest request =
        DisburseBatchRequest(consortium_id, year, amounts, prefix);
    for (v1::FundsDisbursed& funds : *request.mutable_disbursements()) {
      *funds.mutable_occurred_at() = Timestamp(at);
    }
    if (Accept(request)) batch_extra_events_ += amounts.size() - 1;
  }

  void Reverse(const std::string& consortium_id, const std::string& event_id, int64_t at) {
    v1::ReverseDisbursementRequest request =
        ReverseRequest(consortium_id, event_id, "the same invoice was entered twice");
    *request.mutable_occurred_at() = Timestamp(at);
    Accept(request);
  }

  v1::WithdrawParticipantRequest WithdrawAt(const std::string& consortium_id,
                                            const std::string& participant_id, int64_t at) {
    v1::WithdrawParticipantRequest request = WithdrawRequest(consortium_id, participant_id);
    *request.mutable_occurred_at() = Timestamp(at);
    return request;
  }

  void Enrol(const Cast& c, int n, int64_t at) {
    Accept(EnrolRequest(c.id, Rid(c, n), c.lab, TrackOf(n), at));
  }

  void Graduate(const Cast& c, int n, int64_t at) {
    Accept(GraduationRequest(c.id, Rid(c, n), at));
  }

  // A hire names the degree the researcher's record gives: the degree once
  // graduated, the track's candidate degree before.
  v1::RecordHireRequest HireAt(const Cast& c, int n, const std::string& enterprise, int64_t at) {
    const Standing standing = model_.StandingOf(c.id, Rid(c, n));
    v1::Degree degree = standing.degree;
    if (standing.graduated_at == 0) {
      degree = standing.track == v1::DEGREE_TRACK_PHD ? v1::DEGREE_PHD_CANDIDATE
                                                      : v1::DEGREE_MASTERS_CANDIDATE;
    }
    v1::RecordHireRequest request = HireRequest(c.id, Rid(c, n), c.lab, enterprise, degree);
    *request.mutable_hire()->mutable_occurred_at() = Timestamp(at);
    return request;
  }

  std::string Hire(const Cast& c, int n, const std::string& enterprise, int64_t at) {
    const v1::RecordHireRequest request = HireAt(c, n, enterprise, at);
    Accept(request);
    return request.meta().event_id();
  }

  void Leave(const Cast& c, int n, int64_t at) { Accept(DepartureRequest(c.id, Rid(c, n), at)); }

  std::string Evaluate(const std::string& consortium_id, int32_t year, v1::EvaluationGrade grade,
                       int32_t score, int64_t at) {
    v1::RecordEvaluationRequest request = EvaluationRequest(consortium_id, year, grade, score);
    request.mutable_evaluation()->set_summary(std::to_string(year) + "년 연차평가 결과");
    *request.mutable_evaluation()->mutable_occurred_at() = Timestamp(at);
    Accept(request);
    return request.meta().event_id();
  }

  // ---- Checks against the model ----

  template <typename Message>
  void ExpectMatchesModel(const Message& expected, const Message& actual, const std::string& what) {
    MessageDifferencer differ;
    std::string diff;
    differ.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differ.Compare(expected, actual))
        << what << " differs from the test's own model (model -> server):\n"
        << diff;
  }

  // Every field of every consortium, the program and every participant.
  void CheckReadModels(const std::string& checkpoint) {
    SCOPED_TRACE(checkpoint);
    for (const auto& [id, consortium] : model_.consortia()) {
      v1::ConsortiumStatus actual;
      const grpc::Status status = GetConsortium(id, &actual);
      ASSERT_TRUE(status.ok()) << checkpoint << " " << id << ": " << Describe(status);
      ExpectMatchesModel(model_.ExpectedConsortium(id), actual,
                         checkpoint + ": GetConsortium(" + id + ")");
    }
    v1::ProgramSummary program;
    const grpc::Status status = GetProgramSummary(kProgramId, &program);
    ASSERT_TRUE(status.ok()) << checkpoint << ": " << Describe(status);
    ExpectMatchesModel(model_.ExpectedProgram(), program, checkpoint + ": GetProgramSummary");
    for (const auto& [id, participant] : model_.participants()) {
      v1::ParticipantStatus actual;
      const grpc::Status found = GetParticipant(id, &actual);
      ASSERT_TRUE(found.ok()) << checkpoint << " " << id << ": " << Describe(found);
      ExpectMatchesModel(model_.ExpectedParticipant(id), actual,
                         checkpoint + ": GetParticipant(" + id + " " + participant.name_en + ")");
    }
  }

  // The whole log: one event per accepted command (a payment run one per
  // payment), in order, each where the model put it, with the content the
  // model expects (what was sent, or what the service copies into it).
  void CheckLog() {
    const std::vector<v1::EventEnvelope> events = ReadAllEvents("", 100);
    EXPECT_EQ(events.size(), accepted_commands_ + batch_extra_events_);
    ASSERT_EQ(events.size(), model_.log().size());
    for (size_t i = 0; i < events.size(); ++i) {
      const LoggedEvent& expected = model_.log()[i];
      const v1::EventEnvelope& actual = events[i];
      SCOPED_TRACE("event " + std::to_string(i + 1) + " " + expected.event_type);
      EXPECT_EQ(actual.global_position(), expected.position);
      EXPECT_EQ(actual.stream_id(), expected.stream_id);
      EXPECT_EQ(actual.stream_version(), expected.stream_version);
      EXPECT_EQ(actual.event_id(), expected.event_id);
      EXPECT_EQ(actual.event_type(), expected.event_type);
      EXPECT_EQ(actual.recorded_by().agency(), RecorderOrganisationOf(expected.event_type));
      ExpectMatchesModel(expected.payload, actual.payload(),
                         "payload of event " + std::to_string(expected.position));
    }
  }

  // Every consortium of the program, ids in order, `page_size` at a time.
  std::vector<std::string> ListIds(v1::ListConsortiaRequest request, int32_t page_size,
                                   int* pages) {
    std::vector<std::string> ids;
    request.set_page_size(page_size);
    *pages = 0;
    for (int guard = 0; guard < 100; ++guard) {
      v1::ListConsortiaResponse response;
      const grpc::Status status = ListConsortia(request, &response);
      EXPECT_TRUE(status.ok()) << Describe(status);
      if (!status.ok()) break;
      ++*pages;
      EXPECT_LE(response.consortia_size(), page_size);
      for (const v1::ConsortiumStatus& consortium : response.consortia()) {
        ids.push_back(consortium.consortium_id());
        ExpectMatchesModel(model_.ExpectedConsortium(consortium.consortium_id()), consortium,
                           "ListConsortia entry " + consortium.consortium_id());
      }
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return ids;
  }

  // The read models, serialized deterministically, by model.
  std::map<std::string, std::string> SerializedReadModels() {
    std::map<std::string, std::string> out;
    for (const auto& [id, consortium] : model_.consortia()) {
      v1::ConsortiumStatus status;
      EXPECT_TRUE(GetConsortium(id, &status).ok());
      out["consortium " + id] = SerializeDeterministic(status);
    }
    v1::ProgramSummary program;
    EXPECT_TRUE(GetProgramSummary(kProgramId, &program).ok());
    out["program"] = SerializeDeterministic(program);
    for (const auto& [id, participant] : model_.participants()) {
      v1::ParticipantStatus status;
      EXPECT_TRUE(GetParticipant(id, &status).ok());
      out["participant " + id] = SerializeDeterministic(status);
    }
    return out;
  }

  Model model_;
  std::string scene_;
  size_t accepted_commands_ = 0;
  size_t batch_extra_events_ = 0;
  std::map<std::pair<std::string, int32_t>, int> references_;
};

constexpr auto kFailedPrecondition = grpc::StatusCode::FAILED_PRECONDITION;

TEST_F(ScenarioTest, TheProgramFrom2023To2028_EveryReadModelMatchesTheTestsOwnTotals) {
  const auto started = std::chrono::steady_clock::now();
  using G = v1::EvaluationGrade;
  constexpr G kExcellent = v1::EVALUATION_GRADE_EXCELLENT;
  constexpr G kSatisfactory = v1::EVALUATION_GRADE_SATISFACTORY;

  Cast chungnam{kChungnam, "CN", kChungnamLab, Pid("conex"), Pid("yongsan")};
  Cast gyeongnam{kGyeongnam, "GN", kGyeongnamLab, Pid("pk-valve"), Pid("within")};
  Cast ulsan{kUlsan, "US", kUlsanLab, Pid("korea-ptg"), Pid("cosmo-chemical")};
  Cast chungbuk = OtherCast(kChungbuk, "CB");
  Cast jeonbuk = OtherCast(kJeonbuk, "JB");
  Cast gyeongbuk = OtherCast(kGyeongbuk, "GB");
  const std::vector<Cast*> round2023 = {&chungnam, &gyeongnam, &ulsan};
  const std::vector<Cast*> round2024 = {&chungbuk, &jeonbuk, &gyeongbuk};
  const std::string sejin = Pid("sejin-precision");

  // ======================================== 2023 ========================================
  Scene("2023: the program is established");
  const v1::EstablishProgramRequest program = Program2023Request();
  Accept(program);
  ExpectReplayed(program);

  Scene("2023: the first round selects the three consortia of the release");
  OpenRound(2023, 3, At(2023, 2, 1));
  for (const v1::SelectConsortiumRequest& selection : Consortia2023Requests()) Accept(selection);
  for (const Cast* c : round2023) Designate(c->id, kLabsDesignatedAt);

  Scene("2023: agreements (Gyeongnam's below the annual limit)");
  Sign(kChungnam, 2023, kAnnualLimitKrw, At(2023, 5, 30));
  Sign(kGyeongnam, 2023, 1'200'000'000, At(2023, 5, 30));
  Sign(kUlsan, 2023, kAnnualLimitKrw, At(2023, 5, 30));

  Scene("2023: payments up to each grant");
  PayInstalments(kChungnam, 2023, {500'000'000, 500'000'000, 380'000'000});
  PayInstalments(kGyeongnam, 2023, {600'000'000, 600'000'000});
  PayInstalments(kUlsan, 2023, {690'000'000, 690'000'000});

  Scene("2023: one KRW over Chungnam's annual limit is refused");
  ExpectRefused(DisburseAt(kChungnam, 2023, 1, "KIAT-2023-CN-EXTRA", At(2023, 12, 1)),
                kFailedPrecondition, "ANNUAL_LIMIT_EXCEEDED");
  Scene("2023: one KRW over Gyeongnam's grant is refused");
  ExpectRefused(DisburseAt(kGyeongnam, 2023, 1, "KIAT-2023-GN-EXTRA", At(2023, 12, 1)),
                kFailedPrecondition, "COMMITMENT_EXCEEDED");

  Scene("2023: the first researchers enrol (1: master's, 2: PhD)");
  for (const Cast* c : round2023) {
    Enrol(*c, 1, At(2023, 9, 1));
    Enrol(*c, 2, At(2023, 9, 1));
  }

  // ======================================== 2024 ========================================
  Scene("2024: evaluations of 2023");
  Evaluate(kChungnam, 2023, kSatisfactory, 78, At(2024, 1, 22));
  Evaluate(kGyeongnam, 2023, kSatisfactory, 75, At(2024, 1, 22));
  Evaluate(kUlsan, 2023, kSatisfactory, 71, At(2024, 1, 22));

  Scene("2024: the second round selects three more consortia outside the capital region");
  OpenRound(2024, 3, At(2024, 1, 15));
  Select(OtherSelectionRequest(kChungbuk, kProgramId, 2024, "KR-43"), "바이오헬스", "bio-health",
         At(2024, 4, 26));
  Select(OtherSelectionRequest(kJeonbuk, kProgramId, 2024, "KR-45"), "로봇", "robotics",
         At(2024, 4, 26));
  Select(OtherSelectionRequest(kGyeongbuk, kProgramId, 2024, "KR-47"), "로봇", "robotics",
         At(2024, 4, 26));
  for (const Cast* c : round2024) Designate(c->id, At(2024, 5, 20));

  Scene("2024: agreements (Chungbuk's first year below the limit)");
  for (const Cast* c : round2023) Sign(c->id, 2024, kAnnualLimitKrw, At(2024, 2, 1));
  Sign(kChungbuk, 2024, 1'000'000'000, At(2024, 5, 30));
  Sign(kJeonbuk, 2024, kAnnualLimitKrw, At(2024, 5, 30));
  Sign(kGyeongbuk, 2024, kAnnualLimitKrw, At(2024, 5, 30));

  Scene("2024: payments");
  PayInstalments(kChungnam, 2024, {500'000'000, 500'000'000, 380'000'000});
  PayInstalments(kGyeongnam, 2024, {700'000'000, 680'000'000});
  PayInstalments(kChungbuk, 2024, {500'000'000, 500'000'000});
  PayInstalments(kJeonbuk, 2024, {1'380'000'000});
  PayInstalments(kGyeongbuk, 2024, {690'000'000, 690'000'000});

  Scene("2024: Ulsan's second payment sent again under its own reference is refused");
  Pay(kUlsan, 2024, 400'000'000, "US-2024-1", At(2024, 3, 15));
  Pay(kUlsan, 2024, 400'000'000, "US-2024-2", At(2024, 7, 15));
  ExpectRefused(DisburseAt(kUlsan, 2024, 400'000'000, "US-2024-2", At(2024, 7, 16)),
                grpc::StatusCode::ALREADY_EXISTS, "PAYMENT_REFERENCE_ALREADY_USED");
  Scene("2024: the same invoice entered again under a new reference, then reversed");
  const std::string duplicate = Pay(kUlsan, 2024, 400'000'000, "US-2024-2-DUP", At(2024, 7, 16));
  Reverse(kUlsan, duplicate, At(2024, 8, 1));
  Pay(kUlsan, 2024, 580'000'000, "US-2024-3", At(2024, 11, 15));

  Scene("2024: researchers enrol");
  for (const Cast* c : round2023) {
    Enrol(*c, 3, At(2024, 3, 4));
    Enrol(*c, 4, At(2024, 3, 4));
  }
  for (const Cast* c : round2024) {
    Enrol(*c, 1, At(2024, 9, 2));
    Enrol(*c, 2, At(2024, 9, 2));
  }

  Scene("end of 2024");
  CheckReadModels("end of 2024");

  // ======================================== 2025 ========================================
  Scene("2025: evaluations of 2024; Ulsan's is unsatisfactory");
  const std::string chungnam_2024 = Evaluate(kChungnam, 2024, kSatisfactory, 74, At(2025, 1, 20));
  Evaluate(kGyeongnam, 2024, kSatisfactory, 80, At(2025, 1, 20));
  Evaluate(kUlsan, 2024, v1::EVALUATION_GRADE_UNSATISFACTORY, 58, At(2025, 1, 20));
  Evaluate(kChungbuk, 2024, kSatisfactory, 76, At(2025, 1, 20));
  Evaluate(kJeonbuk, 2024, kExcellent, 90, At(2025, 1, 20));
  Evaluate(kGyeongbuk, 2024, kSatisfactory, 72, At(2025, 1, 20));

  Scene("2025: a third mid-sized enterprise joins Gyeongnam");
  {
    v1::JoinConsortiumRequest join =
        JoinRequest(kGyeongnam, MakeParticipant(sejin, "세진정밀(주)", "Sejin Precision",
                                                v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE));
    *join.mutable_joining()->mutable_occurred_at() = Timestamp(At(2025, 1, 10));
    Accept(join);
  }

  Scene("2025: agreements");
  for (const Cast* c : round2023) Sign(c->id, 2025, kAnnualLimitKrw, At(2025, 2, 3));
  for (const Cast* c : round2024) Sign(c->id, 2025, kAnnualLimitKrw, At(2025, 2, 3));

  Scene("2025: Ulsan is suspended; a payment to it is refused");
  AcceptState(StateChange::kSuspend,
              StateRequest(kUlsan, "2024 evaluation unsatisfactory (58 points)", At(2025, 2, 10)));
  ExpectRefused(DisburseAt(kUlsan, 2025, 690'000'000, "KIAT-2025-US-HELD", At(2025, 3, 14)),
                kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE");

  Scene("2025: Chungnam's 2024 evaluation is corrected");
  {
    v1::CorrectEvaluationRequest correction =
        CorrectEvaluationRequest(kChungnam, chungnam_2024, kExcellent, 88);
    *correction.mutable_occurred_at() = Timestamp(At(2025, 2, 14));
    Accept(correction);
  }

  Scene("2025: payments");
  PayInstalments(kChungnam, 2025, {500'000'000, 500'000'000, 380'000'000});
  PayInstalments(kGyeongnam, 2025, {700'000'000, 680'000'000});
  PayInstalments(kJeonbuk, 2025, {690'000'000, 690'000'000});
  PayInstalments(kGyeongbuk, 2025, {690'000'000, 690'000'000});

  Scene("2025: Chungbuk's 2025 grant is amended down after its first payment, then paid up");
  Pay(kChungbuk, 2025, 1'000'000'000, "KIAT-2025-CB-1", At(2025, 4, 15));
  Accept(AmendAt(kChungbuk, 2025, 1'250'000'000, At(2025, 7, 1)));
  Pay(kChungbuk, 2025, 250'000'000, "KIAT-2025-CB-2", At(2025, 9, 15));

  Scene("2025: Ulsan is resumed and paid");
  AcceptState(StateChange::kResume,
              StateRequest(kUlsan, "improvement plan accepted", At(2025, 6, 2)));
  Pay(kUlsan, 2025, 690'000'000, "KIAT-2025-US-1", At(2025, 6, 20));
  Pay(kUlsan, 2025, 690'000'000, "KIAT-2025-US-2", At(2025, 10, 1));

  Scene("2025: the first graduates are hired; a PhD candidate is hired before graduating");
  for (const Cast* c : round2023) {
    Graduate(*c, 1, At(2025, 2, 20));
    Hire(*c, 1, c->ent_a, At(2025, 3, 4));
    // Ulsan enrols its fifth researcher once it is active again.
    Enrol(*c, 5, c == &ulsan ? At(2025, 6, 9) : At(2025, 3, 4));
    Hire(*c, 2, c->ent_b, At(2025, 9, 1));
  }
  for (const Cast* c : round2024) {
    Enrol(*c, 3, At(2025, 3, 4));
    Enrol(*c, 4, At(2025, 3, 4));
  }

  // ======================================== 2026 ========================================
  Scene("2026: evaluations of 2025");
  Evaluate(kChungnam, 2025, kExcellent, 86, At(2026, 1, 20));
  Evaluate(kGyeongnam, 2025, kSatisfactory, 79, At(2026, 1, 20));
  Evaluate(kUlsan, 2025, kSatisfactory, 70, At(2026, 1, 20));
  Evaluate(kChungbuk, 2025, kSatisfactory, 77, At(2026, 1, 20));
  Evaluate(kJeonbuk, 2025, kExcellent, 91, At(2026, 1, 20));
  Evaluate(kGyeongbuk, 2025, kSatisfactory, 66, At(2026, 1, 20));

  Scene("2026: Within withdraws from Gyeongnam (PK Valve and Sejin remain)");
  Accept(WithdrawAt(kGyeongnam, Pid("within"), At(2026, 1, 15)));
  Scene("2026: PK Valve may not withdraw as well: one mid-sized enterprise would remain");
  ExpectRefused(WithdrawAt(kGyeongnam, Pid("pk-valve"), At(2026, 1, 16)), kFailedPrecondition,
                "TOO_FEW_MIDSIZED_ENTERPRISES");
  gyeongnam.ent_b = sejin;  // Sejin hires in Within's place from now on

  Scene("2026: agreements (Gyeongbuk's below the limit)");
  for (const Cast* c : round2023) Sign(c->id, 2026, kAnnualLimitKrw, At(2026, 2, 2));
  Sign(kChungbuk, 2026, kAnnualLimitKrw, At(2026, 2, 2));
  Sign(kJeonbuk, 2026, kAnnualLimitKrw, At(2026, 2, 2));
  Sign(kGyeongbuk, 2026, 1'200'000'000, At(2026, 2, 2));

  Scene("2026: payments");
  PayInstalments(kChungnam, 2026, {500'000'000, 500'000'000, 380'000'000});
  PayInstalments(kGyeongnam, 2026, {700'000'000, 680'000'000});
  PayInstalments(kUlsan, 2026, {1'380'000'000});
  PayInstalments(kChungbuk, 2026, {690'000'000, 690'000'000});
  PayInstalments(kGyeongbuk, 2026, {600'000'000, 600'000'000});
  Scene("2026: Jeonbuk's year paid in one payment run");
  PayRun(kJeonbuk, 2026, {300'000'000, 300'000'000, 400'000'000, 380'000'000}, "JB-RUN-2026",
         At(2026, 4, 1));

  Scene("2026: a hire by Within, no longer a member, is refused");
  for (const Cast* c : round2023) Graduate(*c, 3, At(2026, 2, 20));
  ExpectRefused(HireAt(gyeongnam, 3, Pid("within"), At(2026, 3, 3)), kFailedPrecondition,
                "ENTERPRISE_NOT_IN_CONSORTIUM");

  Scene("2026: researchers graduate, are hired (master's candidates too), one leaves");
  for (const Cast* c : round2023) {
    Hire(*c, 3, c->ent_a, At(2026, 3, 3));
    Enrol(*c, 6, At(2026, 3, 3));
    Graduate(*c, 2, At(2026, 8, 20));  // hired as a candidate in 2025: stays hired
    Hire(*c, 5, c->ent_a, At(2026, 9, 1));
  }
  Leave(chungnam, 1, At(2026, 12, 31));
  for (const Cast* c : round2024) {
    Graduate(*c, 1, At(2026, 2, 20));
    Hire(*c, 1, c->ent_a, At(2026, 3, 3));
    Enrol(*c, 5, At(2026, 3, 3));
    Hire(*c, 2, c->ent_b, At(2026, 9, 1));
  }
  Enrol(gyeongbuk, 6, At(2026, 3, 3));
  Hire(gyeongbuk, 3, gyeongbuk.ent_a, At(2026, 6, 1));

  Scene("2026: Chungnam cannot complete before its term's last year");
  ExpectStateRefused(StateChange::kComplete, StateRequest(kChungnam, "", At(2026, 12, 21)),
                     kFailedPrecondition, "TERM_NOT_OVER");

  Scene("end of 2026");
  CheckReadModels("end of 2026");

  // ======================================== 2027 ========================================
  Scene("2027: evaluations of 2026; Gyeongbuk's is poor");
  Evaluate(kChungnam, 2026, kExcellent, 87, At(2027, 1, 20));
  Evaluate(kGyeongnam, 2026, kSatisfactory, 81, At(2027, 1, 20));
  Evaluate(kUlsan, 2026, kSatisfactory, 75, At(2027, 1, 20));
  Evaluate(kChungbuk, 2026, kSatisfactory, 79, At(2027, 1, 20));
  Evaluate(kJeonbuk, 2026, kExcellent, 89, At(2027, 1, 20));
  Evaluate(kGyeongbuk, 2026, v1::EVALUATION_GRADE_POOR, 41, At(2027, 1, 20));
  Leave(gyeongbuk, 2, At(2027, 1, 29));

  Scene("2027: agreements (Ulsan's last year below the limit)");
  Sign(kChungnam, 2027, kAnnualLimitKrw, At(2027, 2, 1));
  Sign(kGyeongnam, 2027, kAnnualLimitKrw, At(2027, 2, 1));
  Sign(kUlsan, 2027, 1'300'000'000, At(2027, 2, 1));
  for (const Cast* c : round2024) Sign(c->id, 2027, kAnnualLimitKrw, At(2027, 2, 1));

  Scene("2027: Gyeongbuk is paid once, then terminated; a payment to it is refused");
  Pay(kGyeongbuk, 2027, 400'000'000, "KIAT-2027-GB-1", At(2027, 2, 15));
  AcceptState(StateChange::kTerminate,
              StateRequest(kGyeongbuk, "2026 evaluation poor (41 points)", At(2027, 3, 15)));
  ExpectRefused(DisburseAt(kGyeongbuk, 2027, 100'000'000, "KIAT-2027-GB-2", At(2027, 4, 15)),
                kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE");
  Scene("2027: Gyeongbuk's 2027 grant comes down to what was paid; raising it is refused");
  Accept(AmendAt(kGyeongbuk, 2027, 400'000'000, At(2027, 4, 30)));
  ExpectRefused(AmendAt(kGyeongbuk, 2027, 500'000'000, At(2027, 5, 2)), kFailedPrecondition,
                "CONSORTIUM_CLOSED");

  Scene("2027: payments (Gyeongnam's last year under its grant)");
  PayInstalments(kChungnam, 2027, {500'000'000, 500'000'000, 380'000'000});
  PayInstalments(kGyeongnam, 2027, {700'000'000, 600'000'000});
  PayInstalments(kUlsan, 2027, {650'000'000, 650'000'000});
  PayInstalments(kChungbuk, 2027, {690'000'000, 690'000'000});
  PayInstalments(kJeonbuk, 2027, {690'000'000, 690'000'000});

  Scene("2027: researchers");
  for (const Cast* c : round2023) {
    Graduate(*c, 4, At(2027, 2, 19));
    Hire(*c, 4, c->ent_b, At(2027, 3, 2));
    Graduate(*c, 5, At(2027, 2, 19));  // hired as a candidate in 2026: stays hired
  }
  Graduate(chungnam, 6, At(2027, 8, 20));  // graduated, not hired
  Graduate(chungbuk, 3, At(2027, 2, 19));
  Graduate(jeonbuk, 3, At(2027, 2, 19));

  Scene("2027: Chungbuk's hire recorded for the wrong researcher, retracted, recorded right");
  {
    const std::string wrong = Hire(chungbuk, 4, chungbuk.ent_a, At(2027, 3, 2));
    v1::RetractResearcherStepRequest retract = RetractStepRequest(kChungbuk, wrong);
    *retract.mutable_occurred_at() = Timestamp(At(2027, 3, 5));
    Accept(retract);
    Hire(chungbuk, 3, chungbuk.ent_a, At(2027, 3, 2));
  }
  Hire(jeonbuk, 3, jeonbuk.ent_a, At(2027, 3, 2));
  for (const Cast* c : {&chungbuk, &jeonbuk}) {
    Enrol(*c, 6, At(2027, 3, 2));
    Graduate(*c, 2, At(2027, 8, 20));
    Hire(*c, 5, c->ent_a, At(2027, 9, 1));
  }
  Leave(jeonbuk, 1, At(2027, 6, 30));

  Scene("2027: the 2023 consortia complete their terms");
  for (const Cast* c : round2023) {
    AcceptState(StateChange::kComplete, StateRequest(c->id, "", At(2027, 12, 20)));
  }

  // ======================================== 2028 ========================================
  Scene("2028: evaluations of 2027, agreements and payments");
  Evaluate(kChungbuk, 2027, kSatisfactory, 82, At(2028, 1, 20));
  Evaluate(kJeonbuk, 2027, kExcellent, 92, At(2028, 1, 20));
  Sign(kChungbuk, 2028, kAnnualLimitKrw, At(2028, 2, 1));
  Sign(kJeonbuk, 2028, kAnnualLimitKrw, At(2028, 2, 1));
  PayInstalments(kChungbuk, 2028, {690'000'000, 690'000'000});
  PayInstalments(kJeonbuk, 2028, {690'000'000, 690'000'000});
  Scene("2028: one KRW more to Jeonbuk, paid its whole 6.9 billion, is refused");
  ExpectRefused(DisburseAt(kJeonbuk, 2028, 1, "KIAT-2028-JB-EXTRA", At(2028, 12, 1)),
                kFailedPrecondition, "ANNUAL_LIMIT_EXCEEDED");

  Scene("2028: the last researchers");
  for (const Cast* c : {&chungbuk, &jeonbuk}) {
    Graduate(*c, 4, At(2028, 2, 18));
    Hire(*c, 4, c->ent_b, At(2028, 3, 2));
    Graduate(*c, 5, At(2028, 2, 18));
    Hire(*c, 6, c->ent_b, At(2028, 6, 1));
  }

  Scene("2028: Chungbuk and Jeonbuk complete their terms");
  AcceptState(StateChange::kComplete, StateRequest(kChungbuk, "", At(2028, 12, 20)));
  AcceptState(StateChange::kComplete, StateRequest(kJeonbuk, "", At(2028, 12, 20)));

  // ======================================== The end ========================================
  Scene("end of 2028");
  CheckReadModels("end of 2028");

  // The story's headline numbers, by hand, so the model itself is checked.
  EXPECT_EQ(model_.DisbursedTotal(), 38'010'000'000);
  EXPECT_EQ(model_.AgreedTotal(), 38'090'000'000);
  EXPECT_EQ(model_.HireCount(), kHiringTarget);
  v1::ProgramSummary summary;
  ASSERT_TRUE(GetProgramSummary(kProgramId, &summary).ok());
  EXPECT_EQ(summary.disbursed_total_krw(), 38'010'000'000);
  EXPECT_EQ(summary.agreed_total_krw(), 38'090'000'000);
  EXPECT_EQ(summary.hire_count(), summary.hiring_target());
  EXPECT_EQ(summary.completed_count(), 5);
  EXPECT_EQ(summary.terminated_count(), 1);
  EXPECT_EQ(summary.researcher_counts().enrolled(), 5);
  EXPECT_EQ(summary.researcher_counts().graduated(), 1);
  EXPECT_EQ(summary.researcher_counts().hired(), 27);
  EXPECT_EQ(summary.researcher_counts().left(), 3);
  for (const Cast* c : round2023) {
    v1::ConsortiumStatus status;
    ASSERT_TRUE(GetConsortium(c->id, &status).ok());
    EXPECT_EQ(status.hire_count(), status.hire_target()) << c->id;
  }

  Scene("the listing: the program's six consortia in id order, two a page");
  {
    v1::ListConsortiaRequest by_program;
    by_program.set_program_id(kProgramId);
    std::vector<std::string> all_ids;
    for (const auto& [id, consortium] : model_.consortia()) all_ids.push_back(id);
    int pages = 0;
    EXPECT_EQ(ListIds(by_program, 2, &pages), all_ids);
    EXPECT_EQ(pages, 3);
    v1::ListConsortiaRequest completed = by_program;
    completed.set_state(v1::CONSORTIUM_STATE_COMPLETED);
    EXPECT_EQ(ListIds(completed, 2, &pages),
              (std::vector<std::string>{kChungbuk, kChungnam, kGyeongnam, kJeonbuk, kUlsan}));
    v1::ListConsortiaRequest terminated = by_program;
    terminated.set_state(v1::CONSORTIUM_STATE_TERMINATED);
    EXPECT_EQ(ListIds(terminated, 2, &pages), std::vector<std::string>{kGyeongbuk});
    v1::ListConsortiaRequest former_member;
    former_member.set_participant_id(Pid("within"));
    EXPECT_EQ(ListIds(former_member, 2, &pages), std::vector<std::string>{kGyeongnam});
  }

  Scene("the log: every accepted command, in order, as the model expects it");
  CheckLog();
  {
    std::vector<std::string> expected_ids;
    for (const LoggedEvent& event : model_.log()) {
      if (event.stream_id == ConsortiumStream(kUlsan)) expected_ids.push_back(event.event_id);
    }
    std::vector<std::string> ids;
    for (const v1::EventEnvelope& event : ReadAllEvents(ConsortiumStream(kUlsan), 7)) {
      ids.push_back(event.event_id());
    }
    EXPECT_EQ(ids, expected_ids);
  }

  Scene("a restart: the log and every read model byte for byte");
  const std::vector<std::string> log_before = SerializedEvents(ReadAllEvents());
  const std::map<std::string, std::string> models_before = SerializedReadModels();
  Restart();
  EXPECT_TRUE(SerializedEvents(ReadAllEvents()) == log_before) << "the log changed on restart";
  const std::map<std::string, std::string> models_after = SerializedReadModels();
  ASSERT_EQ(models_after.size(), models_before.size());
  for (const auto& [key, bytes] : models_before) {
    EXPECT_TRUE(models_after.at(key) == bytes) << key << " changed on restart";
  }
  CheckReadModels("after the restart");

  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::cout << "[ scenario ] " << accepted_commands_ << " accepted commands, "
            << model_.log().size() << " events, " << model_.HireCount() << " hires, "
            << model_.DisbursedTotal() << " KRW disbursed of " << model_.AgreedTotal()
            << " KRW agreed, " << model_.consortia().size() << " consortia, "
            << model_.participants().size() << " participants; " << elapsed.count() << " ms\n";
}

}  // namespace
}  // namespace alliance::testing
