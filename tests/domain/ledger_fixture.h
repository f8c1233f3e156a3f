// Test fixture of the domain tests: the 2023 program and its three consortia
// as requests (domain.md), and a Ledger that records commands the way the
// ledger core does, minus storage: validate, decide, then fold the accepted
// event in an envelope numbered like the log would number it.
//
//   Ledger ledger;
//   ledger.Given(Program2023());
//   absl::StatusOr<v1::EventEnvelope> e = ledger.Record(Chungnam());
#ifndef ALLIANCE_TESTS_DOMAIN_LEDGER_FIXTURE_H_
#define ALLIANCE_TESTS_DOMAIN_LEDGER_FIXTURE_H_

#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "proto/errors/refusal.h"
#include "services/domain/commands.h"
#include "services/domain/fold.h"
#include "services/domain/ledger_state.h"
#include "services/domain/regions.h"
#include "services/domain/streams.h"
#include "tests/support/test_participant_id.h"

namespace alliance::domain::testing {

// ---- The 2023 program's figures (press release of 2023-05-25) ------------------

inline constexpr absl::string_view kProgram2023 = "alliance-2023";
inline constexpr int64_t kTotalBudget2023Krw = 41'400'000'000;
inline constexpr int64_t kConsortiumLimit2023Krw = 6'900'000'000;
inline constexpr int64_t kAnnualLimit2023Krw = 1'380'000'000;
inline constexpr absl::string_view kChungnam = "chungnam-future-vehicles";
inline constexpr absl::string_view kGyeongnam = "gyeongnam-metal-3d-printing";
inline constexpr absl::string_view kUlsan = "ulsan-secondary-batteries";

// The participant id (a valid business registration number) of the
// organisation the test calls `name`.
inline std::string Pid(absl::string_view name) {
  return ::alliance::testing::TestParticipantId(name);
}

inline google::protobuf::Timestamp At(const std::string& rfc3339) {
  google::protobuf::Timestamp timestamp;
  const bool ok = google::protobuf::util::TimeUtil::FromString(rfc3339, &timestamp);
  EXPECT_TRUE(ok) << rfc3339;
  return timestamp;
}

// A valid, distinct UUID for each n.
inline std::string EventIdFor(uint64_t n) {
  return absl::StrFormat("00000000-0000-4000-8000-%012d", n);
}

inline v1::ProgramRules Rules2023() {
  v1::ProgramRules rules;
  rules.set_first_year(2023);
  rules.set_last_year(2028);
  rules.set_total_budget_krw(kTotalBudget2023Krw);
  rules.set_consortium_limit_krw(kConsortiumLimit2023Krw);
  rules.set_consortium_annual_limit_krw(kAnnualLimit2023Krw);
  rules.set_consortium_term_years(5);
  rules.set_min_midsized_enterprises(2);
  for (const char* code : {"KR-11", "KR-28", "KR-41"}) rules.add_excluded_region_codes(code);
  rules.set_hiring_target(30);
  return rules;
}

inline v1::EstablishProgramRequest Program(absl::string_view program_id,
                                           const v1::ProgramRules& rules) {
  v1::EstablishProgramRequest request;
  v1::ProgramEstablished* program = request.mutable_program();
  program->set_program_id(std::string(program_id));
  program->set_name_ko("중견기업-지역 혁신 얼라이언스 지원사업");
  program->set_name_en("Mid-sized Enterprise - Regional Innovation Alliance support program");
  program->set_ministry("산업통상자원부");
  program->set_managing_agency("한국산업기술진흥원");
  *program->mutable_rules() = rules;
  *program->mutable_occurred_at() = At("2023-01-02T00:00:00Z");
  return request;
}

inline v1::EstablishProgramRequest Program2023() { return Program(kProgram2023, Rules2023()); }

inline v1::Participant Member(const std::string& id, const std::string& name_ko,
                              v1::ParticipantRole role) {
  v1::Participant participant;
  participant.set_participant_id(id);
  participant.set_name_ko(name_ko);
  participant.set_role(role);
  return participant;
}

inline v1::SelectConsortiumRequest Selection(absl::string_view consortium_id,
                                             absl::string_view region_code,
                                             const std::string& region_name_ko,
                                             const std::string& field_ko,
                                             const std::string& field_en,
                                             const std::vector<v1::Participant>& members) {
  v1::SelectConsortiumRequest request;
  v1::ConsortiumSelected* selection = request.mutable_selection();
  selection->set_consortium_id(std::string(consortium_id));
  selection->set_program_id(std::string(kProgram2023));
  selection->set_round_year(2023);
  selection->set_region_code(std::string(region_code));
  selection->set_region_name_ko(region_name_ko);
  selection->set_field_ko(field_ko);
  selection->set_field_en(field_en);
  selection->set_lead_participant_id(members.front().participant_id());
  for (const v1::Participant& member : members) *selection->add_participants() = member;
  *selection->mutable_occurred_at() = At("2023-04-28T09:00:00Z");
  return request;
}

inline v1::SelectConsortiumRequest Chungnam() {
  return Selection(
      kChungnam, "KR-44", "충청남도", "미래차", "future vehicles",
      {Member(Pid("kongju-univ"), "공주대학교", v1::PARTICIPANT_ROLE_UNIVERSITY),
       Member(Pid("conex"), "주식회사 코넥", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE),
       Member(Pid("yongsan"), "(주)용산", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE),
       Member(Pid("katech"), "한국자동차연구원", v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE),
       Member(Pid("chungnam-province"), "충청남도", v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT)});
}

inline v1::SelectConsortiumRequest Gyeongnam() {
  return Selection(
      kGyeongnam, "KR-48", "경상남도", "금속 3D프린팅", "metal 3D printing",
      {Member(Pid("changwon-univ"), "창원대학교", v1::PARTICIPANT_ROLE_UNIVERSITY),
       Member(Pid("pk-valve"), "피케이밸브앤엔지니어링(주)",
              v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE),
       Member(Pid("within"), "주식회사 위딘", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE),
       Member(Pid("gyeongnam-province"), "경상남도", v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT)});
}

inline v1::SelectConsortiumRequest Ulsan() {
  return Selection(
      kUlsan, "KR-31", "울산광역시", "이차전지", "secondary batteries",
      {Member(Pid("ulsan-univ"), "울산대학교", v1::PARTICIPANT_ROLE_UNIVERSITY),
       Member(Pid("korea-ptg"), "코리아피티지(주)", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE),
       Member(Pid("cosmo-chemical"), "코스모화학주식회사",
              v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE),
       Member(Pid("ulsan-technopark"), "울산테크노파크",
              v1::PARTICIPANT_ROLE_INNOVATION_INSTITUTION),
       Member(Pid("ulsan-city"), "울산광역시", v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT)});
}

// The official Korean name of a region code, "" for a code not among the 17.
inline absl::string_view RegionNameOf(absl::string_view region_code) {
  const Region* region = FindRegion(region_code);
  return region == nullptr ? absl::string_view() : region->name_ko;
}

// A made-up consortium of one university and `enterprises` mid-sized
// enterprises, for rounds beyond the three of 2023.
inline v1::SelectConsortiumRequest Hypothetical(absl::string_view consortium_id,
                                                absl::string_view region_code,
                                                int enterprises = 2) {
  const std::string id(consortium_id);
  std::vector<v1::Participant> members = {
      Member(Pid(id + "-univ"), "가상대학교", v1::PARTICIPANT_ROLE_UNIVERSITY)};
  for (int i = 0; i < enterprises; ++i) {
    members.push_back(Member(Pid(absl::StrFormat("%s-enterprise-%d", id, i)), "가상중견기업",
                             v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE));
  }
  // Any region of the 17 with its official name: the name must match the code.
  return Selection(consortium_id, region_code, std::string(RegionNameOf(region_code)), "가상분야",
                   "", members);
}

inline v1::DesignateLabRequest Lab(absl::string_view consortium_id, absl::string_view lab_id,
                                   absl::string_view university_participant_id) {
  v1::DesignateLabRequest request;
  v1::LabDesignated* lab = request.mutable_designation();
  lab->set_consortium_id(std::string(consortium_id));
  lab->set_lab_id(std::string(lab_id));
  lab->set_lab_name_ko("중견기업 혁신연구실");
  lab->set_university_participant_id(std::string(university_participant_id));
  *lab->mutable_occurred_at() = At("2023-05-25T05:00:00Z");
  return request;
}

inline v1::DisburseFundsRequest Disbursement(absl::string_view consortium_id, int32_t program_year,
                                             int64_t amount_krw,
                                             absl::string_view payment_reference) {
  v1::DisburseFundsRequest request;
  v1::FundsDisbursed* funds = request.mutable_disbursement();
  funds->set_consortium_id(std::string(consortium_id));
  funds->set_program_year(program_year);
  funds->set_amount_krw(amount_krw);
  funds->set_payment_reference(std::string(payment_reference));
  *funds->mutable_occurred_at() = At(absl::StrFormat("%d-06-01T00:00:00Z", program_year));
  return request;
}

// A payment run to one consortium: payment i is `amounts_krw[i]` for
// `program_year` with reference "<reference_prefix>-<i>".
inline v1::DisburseFundsBatchRequest PaymentRun(absl::string_view consortium_id,
                                                int32_t program_year,
                                                const std::vector<int64_t>& amounts_krw,
                                                absl::string_view reference_prefix) {
  v1::DisburseFundsBatchRequest request;
  for (size_t i = 0; i < amounts_krw.size(); ++i) {
    *request.add_disbursements() = Disbursement(consortium_id, program_year, amounts_krw[i],
                                                absl::StrFormat("%s-%d", reference_prefix, i))
                                       .disbursement();
  }
  return request;
}

inline v1::ReverseDisbursementRequest Reversal(absl::string_view consortium_id,
                                               absl::string_view corrects_event_id) {
  v1::ReverseDisbursementRequest request;
  request.set_consortium_id(std::string(consortium_id));
  request.set_corrects_event_id(std::string(corrects_event_id));
  request.set_reason("paid twice by mistake");
  *request.mutable_occurred_at() = At("2023-07-01T00:00:00Z");
  return request;
}

inline v1::RecordHireRequest HireOf(absl::string_view consortium_id,
                                    absl::string_view researcher_id, absl::string_view lab_id,
                                    absl::string_view enterprise_participant_id,
                                    const std::string& occurred_at = "2024-03-01T00:00:00Z") {
  v1::RecordHireRequest request;
  v1::ResearcherHired* hire = request.mutable_hire();
  hire->set_consortium_id(std::string(consortium_id));
  hire->set_researcher_id(std::string(researcher_id));
  // An enrolled master's student not yet graduated (Enrolment's default).
  hire->set_degree(v1::DEGREE_MASTERS_CANDIDATE);
  hire->set_lab_id(std::string(lab_id));
  hire->set_enterprise_participant_id(std::string(enterprise_participant_id));
  *hire->mutable_occurred_at() = At(occurred_at);
  return request;
}

inline v1::OpenSelectionRoundRequest Round(int32_t round_year, int32_t slots,
                                           absl::string_view program_id = kProgram2023) {
  v1::OpenSelectionRoundRequest request;
  v1::SelectionRoundOpened* round = request.mutable_round();
  round->set_program_id(std::string(program_id));
  round->set_round_year(round_year);
  round->set_slots(slots);
  *round->mutable_occurred_at() = At(absl::StrFormat("%d-02-01T00:00:00Z", round_year));
  return request;
}

inline v1::SignAgreementRequest Agreement(absl::string_view consortium_id, int32_t program_year,
                                          int64_t grant_krw = kAnnualLimit2023Krw) {
  v1::SignAgreementRequest request;
  v1::AgreementSigned* agreement = request.mutable_agreement();
  agreement->set_consortium_id(std::string(consortium_id));
  agreement->set_program_year(program_year);
  agreement->set_grant_krw(grant_krw);
  agreement->set_agreement_reference(absl::StrFormat("KIAT-%d-%s", program_year, consortium_id));
  *agreement->mutable_occurred_at() = At(absl::StrFormat("%d-05-01T00:00:00Z", program_year));
  return request;
}

inline v1::AmendAgreementRequest Amendment(absl::string_view consortium_id, int32_t program_year,
                                           int64_t grant_krw) {
  v1::AmendAgreementRequest request;
  request.set_consortium_id(std::string(consortium_id));
  request.set_program_year(program_year);
  request.set_grant_krw(grant_krw);
  request.set_reason("budget reallocated");
  *request.mutable_occurred_at() = At(absl::StrFormat("%d-09-01T00:00:00Z", program_year));
  return request;
}

inline v1::JoinConsortiumRequest Joining(absl::string_view consortium_id,
                                         const v1::Participant& participant) {
  v1::JoinConsortiumRequest request;
  request.mutable_joining()->set_consortium_id(std::string(consortium_id));
  *request.mutable_joining()->mutable_participant() = participant;
  *request.mutable_joining()->mutable_occurred_at() = At("2024-01-15T00:00:00Z");
  return request;
}

inline v1::WithdrawParticipantRequest Withdrawal(absl::string_view consortium_id,
                                                 absl::string_view participant_id) {
  v1::WithdrawParticipantRequest request;
  request.set_consortium_id(std::string(consortium_id));
  request.set_participant_id(std::string(participant_id));
  request.set_reason("business restructuring");
  *request.mutable_occurred_at() = At("2024-06-30T00:00:00Z");
  return request;
}

inline v1::EnrolResearcherRequest Enrolment(
    absl::string_view consortium_id, absl::string_view researcher_id, absl::string_view lab_id,
    v1::DegreeTrack track = v1::DEGREE_TRACK_MASTERS,
    const std::string& occurred_at = "2023-09-01T00:00:00Z") {
  v1::EnrolResearcherRequest request;
  v1::ResearcherEnrolled* enrolment = request.mutable_enrolment();
  enrolment->set_consortium_id(std::string(consortium_id));
  enrolment->set_researcher_id(std::string(researcher_id));
  enrolment->set_lab_id(std::string(lab_id));
  enrolment->set_track(track);
  *enrolment->mutable_occurred_at() = At(occurred_at);
  return request;
}

inline v1::RecordGraduationRequest Graduation(
    absl::string_view consortium_id, absl::string_view researcher_id,
    const std::string& occurred_at = "2025-02-20T00:00:00Z") {
  v1::RecordGraduationRequest request;
  request.set_consortium_id(std::string(consortium_id));
  request.set_researcher_id(std::string(researcher_id));
  *request.mutable_occurred_at() = At(occurred_at);
  return request;
}

inline v1::RecordDepartureRequest Departure(
    absl::string_view consortium_id, absl::string_view researcher_id,
    const std::string& occurred_at = "2026-01-31T00:00:00Z") {
  v1::RecordDepartureRequest request;
  request.set_consortium_id(std::string(consortium_id));
  request.set_researcher_id(std::string(researcher_id));
  request.set_reason("moved to another company");
  *request.mutable_occurred_at() = At(occurred_at);
  return request;
}

inline v1::RetractResearcherStepRequest Retraction(absl::string_view consortium_id,
                                                   absl::string_view corrects_event_id) {
  v1::RetractResearcherStepRequest request;
  request.set_consortium_id(std::string(consortium_id));
  request.set_corrects_event_id(std::string(corrects_event_id));
  request.set_reason("recorded for the wrong researcher");
  *request.mutable_occurred_at() = At("2026-02-01T00:00:00Z");
  return request;
}

inline v1::RecordEvaluationRequest Evaluation(absl::string_view consortium_id, int32_t program_year,
                                              v1::EvaluationGrade grade, int32_t score = 80) {
  v1::RecordEvaluationRequest request;
  v1::EvaluationRecorded* evaluation = request.mutable_evaluation();
  evaluation->set_consortium_id(std::string(consortium_id));
  evaluation->set_program_year(program_year);
  evaluation->set_grade(grade);
  evaluation->set_score(score);
  *evaluation->mutable_occurred_at() = At(absl::StrFormat("%d-02-15T00:00:00Z", program_year + 1));
  return request;
}

inline v1::CorrectEvaluationRequest EvaluationCorrection(absl::string_view consortium_id,
                                                         absl::string_view corrects_event_id,
                                                         v1::EvaluationGrade grade, int32_t score) {
  v1::CorrectEvaluationRequest request;
  request.set_consortium_id(std::string(consortium_id));
  request.set_corrects_event_id(std::string(corrects_event_id));
  request.set_grade(grade);
  request.set_score(score);
  request.set_reason("score sheet mis-added");
  *request.mutable_occurred_at() = At("2024-03-01T00:00:00Z");
  return request;
}

// Suspend, resume, terminate or complete: which one is the Decide called.
inline v1::ChangeConsortiumStateRequest StateChange(
    absl::string_view consortium_id, const std::string& occurred_at = "2024-04-01T00:00:00Z") {
  v1::ChangeConsortiumStateRequest request;
  request.set_consortium_id(std::string(consortium_id));
  request.set_reason("unsatisfactory annual evaluation");
  *request.mutable_occurred_at() = At(occurred_at);
  return request;
}

// A request with a valid meta, for validation tests.
template <typename Request>
Request WithMeta(Request request) {
  request.mutable_meta()->set_event_id("123e4567-e89b-12d3-a456-426614174000");
  return request;
}

// ---- The ledger core's path, without storage --------------------------------------

// The server's clock in these tests: after every date the fixtures use, so
// only a test about business dates meets OCCURRED_IN_FUTURE.
inline absl::Time FixtureNow() {
  return absl::FromCivil(absl::CivilDay(2030, 1, 1), absl::UTCTimeZone());
}

// The command table's row for `Request`, which must be the request of one
// command only (the four state changes share theirs: see RecordState).
template <typename Request>
const CommandSpec& CommandFor() {
  const CommandSpec* found = nullptr;
  for (const CommandSpec& spec : Commands()) {
    if (spec.request_type != Request::descriptor()) continue;
    assert(found == nullptr);
    found = &spec;
  }
  assert(found != nullptr);
  return *found;
}

// The four state changes share a request: the test names the rule.
enum class StateCommand { kSuspend, kResume, kTerminate, kComplete };

// The stream an event is appended to (events.proto): the program's for the
// program's own events, otherwise the consortium's named by the payload.
inline std::string StreamOf(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kProgramEstablished:
      return ProgramStreamId(event.program_established().program_id());
    case v1::Event::kSelectionRoundOpened:
      return ProgramStreamId(event.selection_round_opened().program_id());
    case v1::Event::KIND_NOT_SET:
      return "";
    default:
      break;
  }
  const google::protobuf::OneofDescriptor* kind = event.GetDescriptor()->FindOneofByName("kind");
  const google::protobuf::FieldDescriptor* field =
      event.GetReflection()->GetOneofFieldDescriptor(event, kind);
  const google::protobuf::Message& payload = event.GetReflection()->GetMessage(event, field);
  const google::protobuf::FieldDescriptor* consortium_id =
      payload.GetDescriptor()->FindFieldByName("consortium_id");
  EXPECT_NE(consortium_id, nullptr) << payload.GetDescriptor()->name();
  if (consortium_id == nullptr) return "";
  return ConsortiumStreamId(payload.GetReflection()->GetString(payload, consortium_id));
}

// The committed rule index, as the store would hold it: a map. `fail` makes
// every read fail, as a store that cannot be read does.
class MapRuleIndex final : public RuleIndexReader {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const override {
    ++reads;
    if (fail) return absl::UnavailableError("injected: the disk is gone");
    auto it = entries.find(std::string(key));
    if (it == entries.end()) return std::nullopt;
    return it->second;
  }

  std::map<std::string, std::string> entries;
  bool fail = false;
  mutable int reads = 0;
};

class Ledger {
 public:
  Ledger() : committed_(std::make_unique<MapRuleIndex>()) {}

  // Validates, decides and, when accepted, folds the command, through its
  // row of the command table as the ledger core does. A request without
  // meta.event_id gets the next fresh one.
  template <typename Request>
  absl::StatusOr<v1::EventEnvelope> Record(Request request) {
    absl::StatusOr<std::vector<v1::EventEnvelope>> envelopes =
        RecordThrough(CommandFor<Request>(), std::move(request));
    if (!envelopes.ok()) return envelopes.status();
    EXPECT_EQ(envelopes->size(), 1u);
    return envelopes->front();
  }

  // A payment run: its events, event i > 0 with id "<event_id>#<i>" as the
  // ledger core names them.
  absl::StatusOr<std::vector<v1::EventEnvelope>> RecordBatch(
      v1::DisburseFundsBatchRequest request) {
    return RecordThrough(CommandFor<v1::DisburseFundsBatchRequest>(), std::move(request));
  }

  // What the state machine does at a group commit: writes the pending
  // rule-index entries (as RuleEntries hands them over) to the committed
  // index and forgets them; from then on the rules read them from there.
  void Commit() {
    for (auto& [key, value] : RuleEntries(state_)) {
      committed_->entries[key] = value;
    }
    state_.pending_rule_entries.clear();
    state_.committed = committed_.get();
  }

  MapRuleIndex& committed() { return *committed_; }

  // An earlier event the test starts from: the command must be accepted.
  template <typename Request>
  v1::EventEnvelope Given(Request request) {
    absl::StatusOr<v1::EventEnvelope> envelope = Record(std::move(request));
    EXPECT_TRUE(envelope.ok()) << envelope.status();
    return envelope.ok() ? *envelope : v1::EventEnvelope();
  }

  // The 2023 program with its three consortia.
  void Given2023() {
    Given(Program2023());
    Given(Round(2023, 3));
    Given(Chungnam());
    Given(Gyeongnam());
    Given(Ulsan());
  }

  // The 2023 program with its consortia and an agreement at the annual
  // limit for every year of their terms, so payments can be made.
  void Given2023WithAgreements() {
    Given2023();
    for (absl::string_view consortium : {kChungnam, kGyeongnam, kUlsan}) {
      for (int32_t year = 2023; year <= 2027; ++year) Given(Agreement(consortium, year));
    }
  }

  // Records a state change.
  absl::StatusOr<v1::EventEnvelope> RecordState(StateCommand command,
                                                v1::ChangeConsortiumStateRequest request) {
    absl::string_view name;
    switch (command) {
      case StateCommand::kSuspend:
        name = "SuspendConsortium";
        break;
      case StateCommand::kResume:
        name = "ResumeConsortium";
        break;
      case StateCommand::kTerminate:
        name = "TerminateConsortium";
        break;
      case StateCommand::kComplete:
        name = "CompleteConsortium";
        break;
    }
    absl::StatusOr<std::vector<v1::EventEnvelope>> envelopes =
        RecordThrough(*FindCommand(name), std::move(request));
    if (!envelopes.ok()) return envelopes.status();
    return envelopes->front();
  }

  // The server's clock the rules see (business_dates.h); FixtureNow() unless
  // a test sets it.
  void set_now(absl::Time now) { now_ = now; }

  const LedgerState& state() const { return state_; }
  const std::vector<v1::EventEnvelope>& log() const { return log_; }
  // What the last recorded event changed.
  const ChangedModels& last_changed() const { return last_changed_; }

 private:
  absl::StatusOr<std::vector<v1::EventEnvelope>> RecordThrough(
      const CommandSpec& spec, google::protobuf::Message&& request) {
    v1::CommandMeta* meta = spec.mutable_meta(&request);
    if (meta->event_id().empty()) meta->set_event_id(EventIdFor(log_.size() + 1));
    if (absl::Status s = spec.validate(request); !s.ok()) return s;
    absl::StatusOr<std::vector<v1::Event>> events = spec.decide(state_, request, now_);
    if (!events.ok()) return events.status();
    std::vector<v1::EventEnvelope> envelopes;
    for (size_t i = 0; i < events->size(); ++i) {
      const std::string& id = meta->event_id();
      envelopes.push_back(Append((*events)[i], i == 0 ? id : absl::StrFormat("%s#%d", id, i)));
    }
    return envelopes;
  }

  v1::EventEnvelope Append(const v1::Event& event, const std::string& event_id) {
    v1::EventEnvelope envelope;
    envelope.set_global_position(log_.size() + 1);
    envelope.set_stream_id(StreamOf(event));
    envelope.set_stream_version(++stream_versions_[envelope.stream_id()]);
    envelope.set_event_id(event_id);
    const google::protobuf::OneofDescriptor* kind = event.GetDescriptor()->FindOneofByName("kind");
    envelope.set_event_type(
        event.GetReflection()->GetOneofFieldDescriptor(event, kind)->message_type()->name());
    const int64_t now_seconds = absl::ToUnixSeconds(now_);
    envelope.mutable_recorded_at()->set_seconds(now_seconds);
    envelope.mutable_recorded_by()->set_agency("KIAT");
    envelope.mutable_recorded_by()->set_principal("kiat-erp");
    *envelope.mutable_payload() = event;
    last_changed_.clear();
    Fold(envelope, &state_, &last_changed_);
    log_.push_back(envelope);
    return envelope;
  }

  // Behind a pointer so that state_.committed stays valid when the Ledger
  // is moved.
  std::unique_ptr<MapRuleIndex> committed_;
  LedgerState state_;
  ChangedModels last_changed_;
  std::map<std::string, uint64_t> stream_versions_;
  std::vector<v1::EventEnvelope> log_;
  absl::Time now_ = FixtureNow();
};

// A ledger with money paid, a reversal, a lab and hires in two consortia.
inline Ledger BusyLedger() {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Lab(kChungnam, "kongju-lab", Pid("kongju-univ")));
  ledger.Given(Lab(kUlsan, "ulsan-lab", Pid("ulsan-univ")));
  ledger.Given(Agreement(kChungnam, 2023));
  ledger.Given(Agreement(kChungnam, 2024));
  ledger.Given(Agreement(kUlsan, 2023));
  ledger.Given(Enrolment(kChungnam, "kongju-2023-007", "kongju-lab"));
  ledger.Given(Enrolment(kChungnam, "kongju-2023-011", "kongju-lab"));
  ledger.Given(Enrolment(kUlsan, "ulsan-phd-3", "ulsan-lab"));
  ledger.Given(Disbursement(kChungnam, 2023, 1'000'000'000, "C-1"));
  v1::EventEnvelope twice = ledger.Given(Disbursement(kChungnam, 2023, 380'000'000, "C-2"));
  ledger.Given(Disbursement(kChungnam, 2024, 700'000'000, "C-3"));
  ledger.Given(Disbursement(kUlsan, 2023, 500'000'000, "U-1"));
  ledger.Given(Reversal(kChungnam, twice.event_id()));
  ledger.Given(
      HireOf(kChungnam, "kongju-2023-007", "kongju-lab", Pid("conex"), "2024-03-01T00:00:00Z"));
  ledger.Given(
      HireOf(kChungnam, "kongju-2023-011", "kongju-lab", Pid("yongsan"), "2025-02-01T00:00:00Z"));
  ledger.Given(
      HireOf(kUlsan, "ulsan-phd-3", "ulsan-lab", Pid("korea-ptg"), "2024-09-01T00:00:00Z"));
  return ledger;
}

// ---- Matchers -----------------------------------------------------------------

// The status is a refusal with `code`, `reason` and at least `metadata`.
inline ::testing::AssertionResult IsRefusal(
    const absl::Status& status, absl::StatusCode code, const std::string& reason,
    const std::map<std::string, std::string>& metadata = {}) {
  if (status.code() != code) {
    return ::testing::AssertionFailure()
           << "code " << absl::StatusCodeToString(status.code()) << ", want "
           << absl::StatusCodeToString(code) << ": " << status;
  }
  std::optional<RefusalDetails> details = GetRefusalDetails(status);
  if (!details) return ::testing::AssertionFailure() << "no refusal details: " << status;
  if (details->reason != reason) {
    return ::testing::AssertionFailure()
           << "reason " << details->reason << ", want " << reason << ": " << status;
  }
  for (const auto& [key, value] : metadata) {
    auto it = details->metadata.find(key);
    if (it == details->metadata.end() || it->second != value) {
      return ::testing::AssertionFailure()
             << "metadata " << key << " = "
             << (it == details->metadata.end() ? "(absent)" : it->second) << ", want " << value
             << ": " << status;
    }
  }
  return ::testing::AssertionSuccess();
}

// INVALID_ARGUMENT with `reason` (MISSING_FIELD or INVALID_FIELD) naming `field`.
inline ::testing::AssertionResult IsFieldRefusal(const absl::Status& status,
                                                 const std::string& reason,
                                                 const std::string& field) {
  ::testing::AssertionResult refusal =
      IsRefusal(status, absl::StatusCode::kInvalidArgument, reason, {{"field", field}});
  if (!refusal) return refusal;
  if (GetRefusalDetails(status)->field != field) {
    return ::testing::AssertionFailure() << "BadRequest field differs: " << status;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace alliance::domain::testing

#endif  // ALLIANCE_TESTS_DOMAIN_LEDGER_FIXTURE_H_
