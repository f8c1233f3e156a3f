// The seed data set (clients/seed/alliance-2023.textpb) parses, says what the
// press release says, and would be accepted by the server command by command:
// the file is replayed here against a small model of the program's rules
// (the concept headers of services/domain/) so that a seed the server would refuse fails
// here first, without a server. Also the example 2024 selection
// (clients/seed/example-selection-2024.textpb) that the README uses.
//
// The model checks what the seed can get wrong: ids (business registration
// check digits, distinct UUIDs, NO_STREAM on each stream's first event),
// official region names, and order (a round before its selections, a year's
// agreement before its payments and payments within the grant, a researcher's
// enrolment before graduation and hire, steps in time order). It is
// deliberately written apart from the server's code, so the two check each
// other.
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "clients/format.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "seed.pb.h"
#include "storage/whole_file.h"

namespace alliance::seed {
namespace {

constexpr char kProgramId[] = "alliance-2023";
// establish_program is the one command whose content never changed: it
// keeps the id it was first seeded with.
constexpr char kEstablishProgramEventId[] = "9fb31ae7-5298-40f7-8a08-81d5d0a09c5f";
constexpr char kPressReleaseCorrelation[] = "seed-alliance-2023";
constexpr char kIllustrativeCorrelation[] = "seed-alliance-2023-illustrative";

std::string ReadFile(const char* path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.value_or("");
}

SeedFile LoadSeed() {
  SeedFile seed;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(ReadFile(ALLIANCE_SEED_FILE), &seed));
  return seed;
}

// ---- Identifiers -----------------------------------------------------------

bool IsUuidV4(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return id[14] == '4' && std::string("89ab").find(id[19]) != std::string::npos;
}

// 사업자등록번호: 10 digits, the last a check digit over the first nine
// (weights 1,3,7,1,3,7,1,3,5, plus floor(d9 * 5 / 10); (10 - sum % 10) % 10).
bool IsBusinessRegistrationNumber(const std::string& id) {
  if (id.size() != 10) return false;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  constexpr int kWeights[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (id[i] - '0') * kWeights[i];
  sum += (id[8] - '0') * 5 / 10;
  return (10 - sum % 10) % 10 == id[9] - '0';
}

TEST(BusinessRegistrationNumberTest, ChecksTheCheckDigit) {
  EXPECT_TRUE(IsBusinessRegistrationNumber("3128195582"));
  EXPECT_TRUE(IsBusinessRegistrationNumber("6098324777"));
  EXPECT_FALSE(IsBusinessRegistrationNumber("3128195583"));    // last digit off by one
  EXPECT_FALSE(IsBusinessRegistrationNumber("3128195852"));    // two digits swapped
  EXPECT_FALSE(IsBusinessRegistrationNumber("312-81-95582"));  // printed form
  EXPECT_FALSE(IsBusinessRegistrationNumber("312819558"));
  EXPECT_FALSE(IsBusinessRegistrationNumber("conex"));
}

// The 17 first-level divisions and their official names in force.
const std::map<std::string, std::string>& OfficialRegionNames() {
  static const auto* names = new std::map<std::string, std::string>{
      {"KR-11", "서울특별시"},     {"KR-26", "부산광역시"},     {"KR-27", "대구광역시"},
      {"KR-28", "인천광역시"},     {"KR-29", "광주광역시"},     {"KR-30", "대전광역시"},
      {"KR-31", "울산광역시"},     {"KR-50", "세종특별자치시"}, {"KR-41", "경기도"},
      {"KR-42", "강원특별자치도"}, {"KR-43", "충청북도"},       {"KR-44", "충청남도"},
      {"KR-45", "전북특별자치도"}, {"KR-46", "전라남도"},       {"KR-47", "경상북도"},
      {"KR-48", "경상남도"},       {"KR-49", "제주특별자치도"},
  };
  return *names;
}

// ---- What each command is --------------------------------------------------

// The stream a command appends to (commands.proto), its meta, the time it
// says it happened, and a label for failure messages.
struct CommandView {
  std::string stream;
  const v1::CommandMeta* meta = nullptr;
  const google::protobuf::Timestamp* occurred_at = nullptr;
  std::string label;
};

CommandView ViewOf(const SeedCommand& command) {
  const auto consortium = [](const std::string& id) { return absl::StrCat("consortium-", id); };
  using C = SeedCommand;
  switch (command.command_case()) {
    case C::kEstablishProgram: {
      const auto& c = command.establish_program();
      return {absl::StrCat("program-", c.program().program_id()), &c.meta(),
              &c.program().occurred_at(), "establish_program"};
    }
    case C::kOpenSelectionRound: {
      const auto& c = command.open_selection_round();
      return {absl::StrCat("program-", c.round().program_id()), &c.meta(), &c.round().occurred_at(),
              absl::StrCat("open_selection_round ", c.round().round_year())};
    }
    case C::kSelectConsortium: {
      const auto& c = command.select_consortium();
      return {consortium(c.selection().consortium_id()), &c.meta(), &c.selection().occurred_at(),
              absl::StrCat("select_consortium ", c.selection().consortium_id())};
    }
    case C::kDesignateLab: {
      const auto& c = command.designate_lab();
      return {consortium(c.designation().consortium_id()), &c.meta(),
              &c.designation().occurred_at(),
              absl::StrCat("designate_lab ", c.designation().lab_id())};
    }
    case C::kSignAgreement: {
      const auto& c = command.sign_agreement();
      return {consortium(c.agreement().consortium_id()), &c.meta(), &c.agreement().occurred_at(),
              absl::StrCat("sign_agreement ", c.agreement().consortium_id(), " ",
                           c.agreement().program_year())};
    }
    case C::kAmendAgreement: {
      const auto& c = command.amend_agreement();
      return {consortium(c.consortium_id()), &c.meta(), &c.occurred_at(), "amend_agreement"};
    }
    case C::kDisburseFunds: {
      const auto& c = command.disburse_funds();
      return {consortium(c.disbursement().consortium_id()), &c.meta(),
              &c.disbursement().occurred_at(),
              absl::StrCat("disburse_funds ", c.disbursement().payment_reference())};
    }
    case C::kReverseDisbursement: {
      const auto& c = command.reverse_disbursement();
      return {consortium(c.consortium_id()), &c.meta(), &c.occurred_at(), "reverse_disbursement"};
    }
    case C::kJoinConsortium: {
      const auto& c = command.join_consortium();
      return {consortium(c.joining().consortium_id()), &c.meta(), &c.joining().occurred_at(),
              "join_consortium"};
    }
    case C::kWithdrawParticipant: {
      const auto& c = command.withdraw_participant();
      return {consortium(c.consortium_id()), &c.meta(), &c.occurred_at(), "withdraw_participant"};
    }
    case C::kEnrolResearcher: {
      const auto& c = command.enrol_researcher();
      return {consortium(c.enrolment().consortium_id()), &c.meta(), &c.enrolment().occurred_at(),
              absl::StrCat("enrol_researcher ", c.enrolment().researcher_id())};
    }
    case C::kRecordGraduation: {
      const auto& c = command.record_graduation();
      return {consortium(c.consortium_id()), &c.meta(), &c.occurred_at(),
              absl::StrCat("record_graduation ", c.researcher_id())};
    }
    case C::kRecordHire: {
      const auto& c = command.record_hire();
      return {consortium(c.hire().consortium_id()), &c.meta(), &c.hire().occurred_at(),
              absl::StrCat("record_hire ", c.hire().researcher_id())};
    }
    case C::kRecordDeparture: {
      const auto& c = command.record_departure();
      return {consortium(c.consortium_id()), &c.meta(), &c.occurred_at(),
              absl::StrCat("record_departure ", c.researcher_id())};
    }
    case C::kRetractResearcherStep: {
      const auto& c = command.retract_researcher_step();
      return {consortium(c.consortium_id()), &c.meta(), &c.occurred_at(),
              "retract_researcher_step"};
    }
    case C::kRecordEvaluation: {
      const auto& c = command.record_evaluation();
      return {consortium(c.evaluation().consortium_id()), &c.meta(), &c.evaluation().occurred_at(),
              absl::StrCat("record_evaluation ", c.evaluation().consortium_id())};
    }
    case C::kCorrectEvaluation: {
      const auto& c = command.correct_evaluation();
      return {consortium(c.consortium_id()), &c.meta(), &c.occurred_at(), "correct_evaluation"};
    }
    case C::kSuspendConsortium:
      return {consortium(command.suspend_consortium().consortium_id()),
              &command.suspend_consortium().meta(), &command.suspend_consortium().occurred_at(),
              "suspend_consortium"};
    case C::kResumeConsortium:
      return {consortium(command.resume_consortium().consortium_id()),
              &command.resume_consortium().meta(), &command.resume_consortium().occurred_at(),
              "resume_consortium"};
    case C::kTerminateConsortium:
      return {consortium(command.terminate_consortium().consortium_id()),
              &command.terminate_consortium().meta(), &command.terminate_consortium().occurred_at(),
              "terminate_consortium"};
    case C::kCompleteConsortium:
      return {consortium(command.complete_consortium().consortium_id()),
              &command.complete_consortium().meta(), &command.complete_consortium().occurred_at(),
              "complete_consortium"};
    case C::COMMAND_NOT_SET:
      break;
  }
  ADD_FAILURE() << "empty seed command";
  return {"", &v1::CommandMeta::default_instance(),
          &google::protobuf::Timestamp::default_instance(), "(empty)"};
}

// Every business registration number a command names.
std::vector<std::string> ParticipantIdsOf(const SeedCommand& command) {
  std::vector<std::string> ids;
  if (command.has_select_consortium()) {
    const v1::ConsortiumSelected& s = command.select_consortium().selection();
    ids.push_back(s.lead_participant_id());
    for (const v1::Participant& p : s.participants()) ids.push_back(p.participant_id());
  }
  if (command.has_designate_lab()) {
    ids.push_back(command.designate_lab().designation().university_participant_id());
  }
  if (command.has_join_consortium()) {
    ids.push_back(command.join_consortium().joining().participant().participant_id());
  }
  if (command.has_withdraw_participant()) {
    ids.push_back(command.withdraw_participant().participant_id());
  }
  if (command.has_record_hire())
    ids.push_back(command.record_hire().hire().enterprise_participant_id());
  return ids;
}

// ---- A model of the rules, to replay the seed against ----------------------

struct Step {
  std::string event_id;
  std::string type;  // "enrolled", "graduated", "hired"
  int64_t at_seconds = 0;
};

struct ResearcherModel {
  std::string lab_id;
  v1::DegreeTrack track = v1::DEGREE_TRACK_UNSPECIFIED;
  std::vector<Step> steps;  // in effect only: a retracted step is removed
  bool Has(const std::string& type) const {
    return std::any_of(steps.begin(), steps.end(), [&](const Step& s) { return s.type == type; });
  }
};

struct Payment {
  std::string consortium_id;
  int32_t year = 0;
  int64_t amount_krw = 0;
  bool reversed = false;
};

struct ConsortiumModel {
  int32_t round_year = 0;
  std::map<std::string, v1::ParticipantRole> members;  // current members
  std::set<std::string> labs;
  std::map<int32_t, int64_t> grant_krw_by_year;
  std::map<int32_t, int64_t> disbursed_krw_by_year;
  std::set<std::string> payment_references;
  std::map<std::string, ResearcherModel> researchers;
  std::set<int32_t> evaluated_years;
};

// What the replay saw, for the story checks.
struct Replay {
  std::map<int32_t, int> slots_by_round;
  std::map<int32_t, int> selected_by_round;
  std::map<std::string, ConsortiumModel> consortia;
  int reversals = 0;
  int graduations = 0;
  int hires_in_effect = 0;
  int retracted_hires = 0;
  int evaluations = 0;
};

// Inside ReplaySeed: the server would refuse the command unless `condition`
// holds, for `reason` (the rules' reason where there is one). Like
// `alliancectl seed`, the replay stops at the first refusal: what follows
// depends on it.
#define SEED_RULE(condition, reason)                                                \
  if (!(condition)) {                                                               \
    ADD_FAILURE() << where << ": " << reason << " (" << #condition << " is false)"; \
    return r;                                                                       \
  }

// Replays `seed` in order; adds one test failure, and stops, at the first
// command the server's rules (services/domain/) would refuse.
Replay ReplaySeed(const SeedFile& seed) {
  Replay r;
  v1::ProgramRules rules;
  bool program_established = false;
  absl::flat_hash_map<std::string, Payment> payments;  // by event id
  // Researcher steps by event id: consortium and researcher.
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> steps;

  for (int i = 0; i < seed.commands_size(); ++i) {
    const SeedCommand& command = seed.commands(i);
    const CommandView view = ViewOf(command);
    const std::string where = absl::StrCat("command ", i + 1, " (", view.label, ")");
    const int64_t at = view.occurred_at->seconds();
    using C = SeedCommand;
    switch (command.command_case()) {
      case C::kEstablishProgram:
        SEED_RULE(!program_established, "PROGRAM_ALREADY_EXISTS");
        program_established = true;
        rules = command.establish_program().program().rules();
        break;
      case C::kOpenSelectionRound: {
        const v1::SelectionRoundOpened& round = command.open_selection_round().round();
        SEED_RULE(program_established && round.program_id() == kProgramId, "PROGRAM_NOT_FOUND");
        SEED_RULE(r.slots_by_round.count(round.round_year()) == 0, "ROUND_ALREADY_OPENED");
        SEED_RULE(
            round.round_year() >= rules.first_year() && round.round_year() <= rules.last_year(),
            "ROUND_OUTSIDE_PROGRAM_PERIOD");
        SEED_RULE(round.round_year() + rules.consortium_term_years() - 1 <= rules.last_year(),
                  "TERM_OUTSIDE_PROGRAM_PERIOD");
        int64_t slots = round.slots();
        for (const auto& [year, s] : r.slots_by_round) slots += s;
        SEED_RULE(slots * rules.consortium_limit_krw() <= rules.total_budget_krw(),
                  "ROUND_SLOTS_OVER_BUDGET");
        r.slots_by_round[round.round_year()] = round.slots();
        break;
      }
      case C::kSelectConsortium: {
        const v1::ConsortiumSelected& s = command.select_consortium().selection();
        SEED_RULE(s.program_id() == kProgramId, "PROGRAM_NOT_FOUND");
        SEED_RULE(r.consortia.count(s.consortium_id()) == 0, "CONSORTIUM_ALREADY_SELECTED");
        SEED_RULE(r.slots_by_round.count(s.round_year()) == 1, "ROUND_NOT_OPEN");
        SEED_RULE(r.selected_by_round[s.round_year()] < r.slots_by_round[s.round_year()],
                  "ROUND_FULL");
        std::map<std::string, v1::ParticipantRole> members;
        int enterprises = 0;
        for (const v1::Participant& p : s.participants()) {
          SEED_RULE(members.emplace(p.participant_id(), p.role()).second,
                    "participant listed twice");
          if (p.role() == v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE) ++enterprises;
        }
        SEED_RULE(members[s.lead_participant_id()] == v1::PARTICIPANT_ROLE_UNIVERSITY,
                  "LEAD_NOT_UNIVERSITY");
        SEED_RULE(enterprises >= rules.min_midsized_enterprises(), "TOO_FEW_MIDSIZED_ENTERPRISES");
        for (const std::string& excluded : rules.excluded_region_codes()) {
          SEED_RULE(s.region_code() != excluded, "REGION_EXCLUDED");
        }
        ConsortiumModel& c = r.consortia[s.consortium_id()];
        c.round_year = s.round_year();
        c.members = std::move(members);
        ++r.selected_by_round[s.round_year()];
        break;
      }
      case C::kDesignateLab: {
        const v1::LabDesignated& lab = command.designate_lab().designation();
        SEED_RULE(r.consortia.count(lab.consortium_id()) == 1, "CONSORTIUM_NOT_FOUND");
        ConsortiumModel& c = r.consortia[lab.consortium_id()];
        SEED_RULE(c.labs.count(lab.lab_id()) == 0, "LAB_ALREADY_DESIGNATED");
        SEED_RULE(c.members.count(lab.university_participant_id()) == 1 &&
                      c.members[lab.university_participant_id()] == v1::PARTICIPANT_ROLE_UNIVERSITY,
                  "LAB_UNIVERSITY_NOT_IN_CONSORTIUM");
        c.labs.insert(lab.lab_id());
        break;
      }
      case C::kSignAgreement: {
        const v1::AgreementSigned& a = command.sign_agreement().agreement();
        SEED_RULE(r.consortia.count(a.consortium_id()) == 1, "CONSORTIUM_NOT_FOUND");
        ConsortiumModel& c = r.consortia[a.consortium_id()];
        SEED_RULE(a.program_year() >= c.round_year &&
                      a.program_year() < c.round_year + rules.consortium_term_years(),
                  "PROGRAM_YEAR_OUTSIDE_TERM");
        SEED_RULE(c.grant_krw_by_year.count(a.program_year()) == 0, "AGREEMENT_ALREADY_SIGNED");
        SEED_RULE(a.grant_krw() > 0, "grant_krw must be positive");
        SEED_RULE(a.grant_krw() <= rules.consortium_annual_limit_krw(), "GRANT_OVER_ANNUAL_LIMIT");
        int64_t grants = a.grant_krw();
        for (const auto& [year, grant] : c.grant_krw_by_year) grants += grant;
        SEED_RULE(grants <= rules.consortium_limit_krw(), "GRANT_OVER_CONSORTIUM_LIMIT");
        c.grant_krw_by_year[a.program_year()] = a.grant_krw();
        break;
      }
      case C::kDisburseFunds: {
        const v1::FundsDisbursed& d = command.disburse_funds().disbursement();
        SEED_RULE(r.consortia.count(d.consortium_id()) == 1, "CONSORTIUM_NOT_FOUND");
        ConsortiumModel& c = r.consortia[d.consortium_id()];
        SEED_RULE(d.amount_krw() > 0, "amount_krw must be positive");
        SEED_RULE(c.payment_references.count(d.payment_reference()) == 0,
                  "PAYMENT_REFERENCE_ALREADY_USED");
        SEED_RULE(c.grant_krw_by_year.count(d.program_year()) == 1, "NO_AGREEMENT_FOR_YEAR");
        const int64_t year_total = c.disbursed_krw_by_year[d.program_year()] + d.amount_krw();
        SEED_RULE(year_total <= rules.consortium_annual_limit_krw(), "ANNUAL_LIMIT_EXCEEDED");
        SEED_RULE(year_total <= c.grant_krw_by_year[d.program_year()], "COMMITMENT_EXCEEDED");
        c.payment_references.insert(d.payment_reference());
        c.disbursed_krw_by_year[d.program_year()] = year_total;
        payments[command.disburse_funds().meta().event_id()] = {d.consortium_id(), d.program_year(),
                                                                d.amount_krw()};
        break;
      }
      case C::kReverseDisbursement: {
        const v1::ReverseDisbursementRequest& rev = command.reverse_disbursement();
        auto payment = payments.find(rev.corrects_event_id());
        SEED_RULE(payment != payments.end() && payment->second.consortium_id == rev.consortium_id(),
                  "DISBURSEMENT_NOT_FOUND");
        SEED_RULE(!payment->second.reversed, "DISBURSEMENT_ALREADY_REVERSED");
        SEED_RULE(!rev.reason().empty(), "reason is required");
        payment->second.reversed = true;
        r.consortia[rev.consortium_id()].disbursed_krw_by_year[payment->second.year] -=
            payment->second.amount_krw;
        ++r.reversals;
        break;
      }
      case C::kEnrolResearcher: {
        const v1::ResearcherEnrolled& e = command.enrol_researcher().enrolment();
        SEED_RULE(r.consortia.count(e.consortium_id()) == 1, "CONSORTIUM_NOT_FOUND");
        ConsortiumModel& c = r.consortia[e.consortium_id()];
        SEED_RULE(c.researchers.count(e.researcher_id()) == 0, "RESEARCHER_ALREADY_ENROLLED");
        SEED_RULE(c.labs.count(e.lab_id()) == 1, "LAB_NOT_DESIGNATED");
        SEED_RULE(e.track() != v1::DEGREE_TRACK_UNSPECIFIED, "track is required");
        ResearcherModel& researcher = c.researchers[e.researcher_id()];
        researcher.lab_id = e.lab_id();
        researcher.track = e.track();
        const std::string& id = command.enrol_researcher().meta().event_id();
        researcher.steps.push_back({id, "enrolled", at});
        steps[id] = {e.consortium_id(), e.researcher_id()};
        break;
      }
      case C::kRecordGraduation: {
        const v1::RecordGraduationRequest& g = command.record_graduation();
        SEED_RULE(r.consortia.count(g.consortium_id()) == 1, "CONSORTIUM_NOT_FOUND");
        ConsortiumModel& c = r.consortia[g.consortium_id()];
        SEED_RULE(c.researchers.count(g.researcher_id()) == 1 &&
                      !c.researchers[g.researcher_id()].steps.empty(),
                  "RESEARCHER_NOT_FOUND");
        ResearcherModel& researcher = c.researchers[g.researcher_id()];
        SEED_RULE(!researcher.Has("graduated"), "RESEARCHER_ALREADY_GRADUATED");
        SEED_RULE(!researcher.Has("hired"), "graduation after the hire");
        SEED_RULE(at >= researcher.steps.back().at_seconds, "STEP_BEFORE_PREVIOUS_STEP");
        researcher.steps.push_back({g.meta().event_id(), "graduated", at});
        steps[g.meta().event_id()] = {g.consortium_id(), g.researcher_id()};
        ++r.graduations;
        break;
      }
      case C::kRecordHire: {
        const v1::ResearcherHired& h = command.record_hire().hire();
        SEED_RULE(r.consortia.count(h.consortium_id()) == 1, "CONSORTIUM_NOT_FOUND");
        ConsortiumModel& c = r.consortia[h.consortium_id()];
        SEED_RULE(c.researchers.count(h.researcher_id()) == 0 ||
                      !c.researchers[h.researcher_id()].Has("hired"),
                  "RESEARCHER_ALREADY_HIRED");
        SEED_RULE(c.labs.count(h.lab_id()) == 1, "LAB_NOT_DESIGNATED");
        SEED_RULE(c.researchers.count(h.researcher_id()) == 1 &&
                      !c.researchers[h.researcher_id()].steps.empty(),
                  "RESEARCHER_NOT_ENROLLED");
        ResearcherModel& researcher = c.researchers[h.researcher_id()];
        SEED_RULE(h.lab_id() == researcher.lab_id, "RESEARCHER_NOT_IN_LAB");
        const bool masters = researcher.track == v1::DEGREE_TRACK_MASTERS;
        const v1::Degree expected =
            researcher.Has("graduated")
                ? (masters ? v1::DEGREE_MASTERS : v1::DEGREE_PHD)
                : (masters ? v1::DEGREE_MASTERS_CANDIDATE : v1::DEGREE_PHD_CANDIDATE);
        SEED_RULE(h.degree() == expected, "DEGREE_DOES_NOT_MATCH_RECORD");
        auto member = c.members.find(h.enterprise_participant_id());
        SEED_RULE(
            member != c.members.end() && member->second == v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE,
            "ENTERPRISE_NOT_IN_CONSORTIUM");
        SEED_RULE(at >= researcher.steps.back().at_seconds, "STEP_BEFORE_PREVIOUS_STEP");
        researcher.steps.push_back({command.record_hire().meta().event_id(), "hired", at});
        steps[command.record_hire().meta().event_id()] = {h.consortium_id(), h.researcher_id()};
        ++r.hires_in_effect;
        break;
      }
      case C::kRetractResearcherStep: {
        const v1::RetractResearcherStepRequest& rs = command.retract_researcher_step();
        auto step = steps.find(rs.corrects_event_id());
        SEED_RULE(step != steps.end() && step->second.first == rs.consortium_id(),
                  "RESEARCHER_STEP_NOT_FOUND");
        SEED_RULE(!rs.reason().empty(), "reason is required");
        ResearcherModel& researcher =
            r.consortia[rs.consortium_id()].researchers[step->second.second];
        SEED_RULE(
            !researcher.steps.empty() && researcher.steps.back().event_id == rs.corrects_event_id(),
            "STEP_NOT_LATEST or STEP_ALREADY_RETRACTED");
        if (researcher.steps.back().type == "hired") {
          --r.hires_in_effect;
          ++r.retracted_hires;
        }
        if (researcher.steps.back().type == "graduated") --r.graduations;
        researcher.steps.pop_back();
        break;
      }
      case C::kRecordEvaluation: {
        const v1::EvaluationRecorded& e = command.record_evaluation().evaluation();
        SEED_RULE(r.consortia.count(e.consortium_id()) == 1, "CONSORTIUM_NOT_FOUND");
        ConsortiumModel& c = r.consortia[e.consortium_id()];
        SEED_RULE(e.program_year() >= c.round_year &&
                      e.program_year() < c.round_year + rules.consortium_term_years(),
                  "PROGRAM_YEAR_OUTSIDE_TERM");
        SEED_RULE(c.evaluated_years.count(e.program_year()) == 0, "EVALUATION_ALREADY_RECORDED");
        SEED_RULE(e.grade() != v1::EVALUATION_GRADE_UNSPECIFIED, "grade is required");
        SEED_RULE(e.score() >= 0 && e.score() <= 100, "score out of 0..100");
        c.evaluated_years.insert(e.program_year());
        ++r.evaluations;
        break;
      }
      default:
        // The seed records no amendment, membership change, departure,
        // evaluation correction or state change; one added needs its rules
        // here.
        SEED_RULE(false, "the replay does not model this command yet");
    }
  }
  return r;
}

#undef SEED_RULE

// ---- The tests ---------------------------------------------------------------

TEST(SeedTest, HoldsTheProgramOfThePressRelease) {
  const SeedFile seed = LoadSeed();
  int programs = 0;
  for (const SeedCommand& command : seed.commands()) {
    if (!command.has_establish_program()) continue;
    ++programs;
    const v1::ProgramEstablished& program = command.establish_program().program();
    EXPECT_EQ(program.program_id(), kProgramId);
    EXPECT_EQ(program.ministry(), "산업통상자원부");
    EXPECT_EQ(program.rules().total_budget_krw(), 41'400'000'000);
    EXPECT_EQ(program.rules().consortium_limit_krw(), 6'900'000'000);
    EXPECT_EQ(program.rules().consortium_annual_limit_krw(), 1'380'000'000);
    EXPECT_EQ(program.rules().consortium_term_years(), 5);
    EXPECT_EQ(program.rules().first_year(), 2023);
    EXPECT_EQ(program.rules().last_year(), 2028);
    EXPECT_EQ(program.rules().min_midsized_enterprises(), 2);
    EXPECT_EQ(program.rules().excluded_region_codes_size(), 3);
    EXPECT_EQ(program.rules().hiring_target(), 30);
    EXPECT_EQ(command.establish_program().meta().event_id(), kEstablishProgramEventId)
        << "the program's command is already seeded: its id must not change";
  }
  EXPECT_EQ(programs, 1);
  ASSERT_GT(seed.commands_size(), 0);
  EXPECT_TRUE(seed.commands(0).has_establish_program()) << "the program comes first";
}

TEST(SeedTest, HoldsThreeEligibleConsortiaInThe2023Round) {
  const SeedFile seed = LoadSeed();
  absl::flat_hash_set<std::string> ids;
  for (const SeedCommand& command : seed.commands()) {
    if (!command.has_select_consortium()) continue;
    const v1::ConsortiumSelected& selection = command.select_consortium().selection();
    ids.insert(selection.consortium_id());
    EXPECT_EQ(selection.round_year(), 2023);
    EXPECT_EQ(command.select_consortium().meta().correlation_id(), kPressReleaseCorrelation);
  }
  EXPECT_EQ(ids, (absl::flat_hash_set<std::string>{"chungnam-future-vehicles",
                                                   "gyeongnam-metal-3d-printing",
                                                   "ulsan-secondary-batteries"}));
  const Replay replay = ReplaySeed(seed);
  EXPECT_EQ(replay.slots_by_round, (std::map<int32_t, int>{{2023, 3}, {2024, 3}}))
      << "2023: three selected; 2024: three more planned";
  EXPECT_EQ(replay.selected_by_round, (std::map<int32_t, int>{{2023, 3}}));
}

TEST(SeedTest, HoldsOneLabPerConsortiumDesignatedAtTheCeremony) {
  const SeedFile seed = LoadSeed();
  absl::flat_hash_set<std::string> consortia;
  for (const SeedCommand& command : seed.commands()) {
    if (!command.has_designate_lab()) continue;
    const v1::LabDesignated& lab = command.designate_lab().designation();
    consortia.insert(lab.consortium_id());
    const absl::Time at = absl::FromUnixSeconds(lab.occurred_at().seconds());
    EXPECT_EQ(client::FormatUtcTime(at), "2023-05-25T05:00:00Z") << lab.lab_id();
  }
  EXPECT_EQ(consortia.size(), 3u);
}

TEST(SeedTest, EveryCommandHasADistinctFixedUuid) {
  const SeedFile seed = LoadSeed();
  absl::flat_hash_set<std::string> ids;
  for (const SeedCommand& command : seed.commands()) {
    const std::string& id = ViewOf(command).meta->event_id();
    EXPECT_TRUE(IsUuidV4(id)) << "'" << id << "'";
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(seed.commands_size()));
}

TEST(SeedTest, EachStreamsFirstEventExpectsNoStream) {
  const SeedFile seed = LoadSeed();
  absl::flat_hash_set<std::string> streams;
  for (const SeedCommand& command : seed.commands()) {
    const CommandView view = ViewOf(command);
    const bool first = streams.insert(view.stream).second;
    const v1::ExpectedVersion::Kind kind = view.meta->expected_version().kind();
    if (first) {
      EXPECT_EQ(kind, v1::ExpectedVersion::KIND_NO_STREAM)
          << view.label << " opens " << view.stream;
    } else {
      EXPECT_NE(kind, v1::ExpectedVersion::KIND_NO_STREAM) << view.label << " on " << view.stream;
    }
  }
  EXPECT_EQ(streams.size(), 4u) << "the program and three consortia";
}

TEST(SeedTest, EveryParticipantIdIsABusinessRegistrationNumber) {
  const SeedFile seed = LoadSeed();
  int checked = 0;
  for (const SeedCommand& command : seed.commands()) {
    for (const std::string& id : ParticipantIdsOf(command)) {
      EXPECT_TRUE(IsBusinessRegistrationNumber(id)) << ViewOf(command).label << ": '" << id << "'";
      ++checked;
    }
  }
  EXPECT_GT(checked, 14);
}

TEST(SeedTest, RegionsHaveTheirOfficialNames) {
  const SeedFile seed = LoadSeed();
  for (const SeedCommand& command : seed.commands()) {
    if (!command.has_select_consortium()) continue;
    const v1::ConsortiumSelected& s = command.select_consortium().selection();
    auto official = OfficialRegionNames().find(s.region_code());
    ASSERT_NE(official, OfficialRegionNames().end()) << s.region_code();
    EXPECT_EQ(s.region_name_ko(), official->second) << s.consortium_id();
  }
}

TEST(SeedTest, DatesAreInTheProgramAndNotAfter2025) {
  const SeedFile seed = LoadSeed();
  const int64_t first =
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2023, 1, 1), absl::UTCTimeZone()));
  const int64_t last =
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2026, 1, 1), absl::UTCTimeZone()));
  for (const SeedCommand& command : seed.commands()) {
    const CommandView view = ViewOf(command);
    EXPECT_GE(view.occurred_at->seconds(), first) << view.label;
    EXPECT_LT(view.occurred_at->seconds(), last) << view.label;
  }
}

TEST(SeedTest, EveryCommandWouldBeAcceptedInOrder) {
  // ReplaySeed fails the test at the first command the rules refuse.
  const Replay replay = ReplaySeed(LoadSeed());
  EXPECT_EQ(replay.consortia.size(), 3u);
}

// The replay is only worth something if it refuses what the server refuses.
TEST(SeedReplayTest, RefusesAPaymentBeforeTheYearsAgreement) {
  SeedFile seed = LoadSeed();
  int agreement = -1;
  int payment = -1;
  for (int i = 0; i < seed.commands_size(); ++i) {
    if (agreement < 0 && seed.commands(i).has_sign_agreement()) agreement = i;
    if (payment < 0 && seed.commands(i).has_disburse_funds()) payment = i;
  }
  ASSERT_GE(agreement, 0);
  ASSERT_GT(payment, agreement);
  // Move every agreement after the first payment.
  SeedFile reordered;
  for (int i = 0; i < seed.commands_size(); ++i) {
    if (seed.commands(i).has_sign_agreement() && i < payment) continue;
    *reordered.add_commands() = seed.commands(i);
    if (i == payment) {
      for (int j = 0; j < payment; ++j) {
        if (seed.commands(j).has_sign_agreement()) *reordered.add_commands() = seed.commands(j);
      }
    }
  }
  EXPECT_NONFATAL_FAILURE(ReplaySeed(reordered), "NO_AGREEMENT_FOR_YEAR");
}

TEST(SeedReplayTest, RefusesAPaymentOverTheGrant) {
  SeedFile seed = LoadSeed();
  // A 2024 grant below what the seed pays that year, but within the annual
  // limit: the payment that crosses it is refused for the commitment alone.
  for (SeedCommand& command : *seed.mutable_commands()) {
    if (!command.has_sign_agreement()) continue;
    v1::AgreementSigned& a = *command.mutable_sign_agreement()->mutable_agreement();
    if (a.consortium_id() == "chungnam-future-vehicles" && a.program_year() == 2024) {
      a.set_grant_krw(1'000'000'000);
    }
  }
  EXPECT_NONFATAL_FAILURE(ReplaySeed(seed), "COMMITMENT_EXCEEDED");
}

TEST(SeedReplayTest, RefusesAHireWhoseDegreeIsNotTheRecords) {
  SeedFile seed = LoadSeed();
  for (SeedCommand& command : *seed.mutable_commands()) {
    if (command.has_record_hire() &&
        command.record_hire().hire().researcher_id() == "KNU-2023-M001") {
      command.mutable_record_hire()->mutable_hire()->set_degree(v1::DEGREE_MASTERS_CANDIDATE);
    }
  }
  EXPECT_NONFATAL_FAILURE(ReplaySeed(seed), "DEGREE_DOES_NOT_MATCH_RECORD");
}

TEST(SeedReplayTest, RefusesASelectionBeforeItsRound) {
  SeedFile seed = LoadSeed();
  // Drop the 2023 round.
  SeedFile without_round;
  for (const SeedCommand& command : seed.commands()) {
    if (command.has_open_selection_round() &&
        command.open_selection_round().round().round_year() == 2023) {
      continue;
    }
    *without_round.add_commands() = command;
  }
  // Every selection is refused, and what depends on them with it.
  EXPECT_NONFATAL_FAILURE(ReplaySeed(without_round), "ROUND_NOT_OPEN");
}

TEST(SeedTest, TheIllustrativeContinuationTellsAProgramYear) {
  const SeedFile seed = LoadSeed();
  // Every command that is not from the press release says so.
  for (const SeedCommand& command : seed.commands()) {
    const bool from_release = command.has_establish_program() || command.has_select_consortium() ||
                              command.has_designate_lab() ||
                              (command.has_open_selection_round() &&
                               command.open_selection_round().round().round_year() == 2023);
    EXPECT_EQ(ViewOf(command).meta->correlation_id(),
              from_release ? kPressReleaseCorrelation : kIllustrativeCorrelation)
        << ViewOf(command).label;
  }
  const Replay replay = ReplaySeed(seed);
  for (const auto& [id, c] : replay.consortia) {
    EXPECT_EQ(c.grant_krw_by_year.count(2023), 1u) << id;
    EXPECT_EQ(c.grant_krw_by_year.count(2024), 1u) << id;
    EXPECT_GT(c.disbursed_krw_by_year.at(2023), 0) << id;
    EXPECT_GT(c.disbursed_krw_by_year.at(2024), 0) << id;
    EXPECT_GE(c.payment_references.size(), 3u) << id << ": several payments";
    EXPECT_FALSE(c.researchers.empty()) << id;
    EXPECT_EQ(c.evaluated_years, (std::set<int32_t>{2023})) << id;
  }
  EXPECT_EQ(replay.reversals, 1) << "one payment recorded twice, reversed";
  EXPECT_EQ(replay.graduations, 2);
  EXPECT_EQ(replay.hires_in_effect, 2);
  EXPECT_EQ(replay.retracted_hires, 1) << "one hire recorded for the wrong researcher";
  int researchers = 0;
  for (const auto& [id, c] : replay.consortia)
    researchers += static_cast<int>(c.researchers.size());
  EXPECT_GE(researchers, 6);
}

// ---- The example selection of the README -------------------------------------

TEST(ExampleSelectionTest, IsAnEligibleSelectionIntoTheSeeded2024Round) {
  v1::SelectConsortiumRequest request;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      ReadFile(ALLIANCE_EXAMPLE_SELECTION_FILE), &request));
  const v1::ConsortiumSelected& s = request.selection();
  EXPECT_TRUE(request.meta().event_id().empty()) << "alliancectl gives it a fresh id";
  EXPECT_EQ(s.program_id(), kProgramId);
  EXPECT_EQ(s.round_year(), 2024);
  EXPECT_EQ(s.region_code(), "KR-27");
  EXPECT_EQ(s.region_name_ko(), OfficialRegionNames().at("KR-27"));
  int enterprises = 0;
  bool lead_is_university = false;
  for (const v1::Participant& p : s.participants()) {
    EXPECT_TRUE(IsBusinessRegistrationNumber(p.participant_id())) << p.participant_id();
    if (p.role() == v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE) ++enterprises;
    if (p.participant_id() == s.lead_participant_id()) {
      lead_is_university = p.role() == v1::PARTICIPANT_ROLE_UNIVERSITY;
    }
  }
  EXPECT_GE(enterprises, 2);
  EXPECT_TRUE(lead_is_university);

  // Appended to the seed, it is accepted: the seed opened the 2024 round.
  SeedFile seed = LoadSeed();
  *seed.add_commands()->mutable_select_consortium() = request;
  seed.mutable_commands(seed.commands_size() - 1)
      ->mutable_select_consortium()
      ->mutable_meta()
      ->set_event_id("00000000-0000-4000-8000-000000000000");
  const Replay replay = ReplaySeed(seed);
  EXPECT_EQ(replay.selected_by_round.at(2024), 1);
  // Its occurred_at falls after the round opened.
  const absl::Time at = absl::FromUnixSeconds(s.occurred_at().seconds());
  EXPECT_GT(at, absl::FromCivil(absl::CivilDay(2024, 2, 1), absl::UTCTimeZone()));
}

}  // namespace
}  // namespace alliance::seed
