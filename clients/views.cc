// The read models as text: see views.h.
#include "clients/views.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/events.pb.h"
#include "clients/format.h"
#include "google/protobuf/timestamp.pb.h"

namespace alliance::client {
namespace {

namespace pb = google::protobuf;

// In the order the status shows researchers: furthest along first.
constexpr EnumName<v1::ResearcherStage> kStageNames[] = {
    {"hired", v1::RESEARCHER_STAGE_HIRED},         {"left", v1::RESEARCHER_STAGE_LEFT},
    {"graduated", v1::RESEARCHER_STAGE_GRADUATED}, {"enrolled", v1::RESEARCHER_STAGE_ENROLLED},
    {"retracted", v1::RESEARCHER_STAGE_RETRACTED},
};

// The name of `value` in `names`; "-" for the unspecified (zero) value, and
// "<kind> <number>" for a value newer than this code.
template <typename Enum, size_t N>
std::string EnumText(Enum value, const EnumName<Enum> (&names)[N], absl::string_view kind) {
  for (const EnumName<Enum>& name : names) {
    if (name.value == value) return std::string(name.text);
  }
  if (static_cast<int>(value) == 0) return "-";
  return absl::StrCat(kind, " ", static_cast<int>(value));
}

std::string StageName(v1::ResearcherStage stage) { return EnumText(stage, kStageNames, "stage"); }

}  // namespace

// ---- Names for people (views.h) --------------------------------------------

std::string DegreeName(v1::Degree degree) { return EnumText(degree, kDegreeNames, "degree"); }
std::string TrackName(v1::DegreeTrack track) { return EnumText(track, kTrackNames, "track"); }
std::string GradeName(v1::EvaluationGrade grade) { return EnumText(grade, kGradeNames, "grade"); }
std::string StateName(v1::ConsortiumState state) { return EnumText(state, kStateNames, "state"); }

std::string RoleName(v1::ParticipantRole role) {
  switch (role) {
    case v1::PARTICIPANT_ROLE_UNIVERSITY:
      return "university";
    case v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE:
      return "mid-sized enterprise";
    case v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE:
      return "research institute";
    case v1::PARTICIPANT_ROLE_INNOVATION_INSTITUTION:
      return "innovation institution";
    case v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT:
      return "local government";
    default:
      return absl::StrCat("role ", static_cast<int>(role));
  }
}

namespace {

// The day of a timestamp, "2023-09-01" (UTC), or "-" when unset: enough for
// the dates of a researcher's steps in a table.
std::string Day(const pb::Timestamp& timestamp) {
  const std::string text = FormatTimestamp(timestamp);
  return text.size() > 10 ? text.substr(0, 10) : text;
}

// "1,380,000,000 (13.8억 원)", or "-" for a value not there (a year without
// an agreement).
std::string KrwOrDash(bool present, int64_t amount_krw) {
  return present ? KrwWithReadable(amount_krw) : "-";
}

std::string Region(const std::string& code, const std::string& name_ko) {
  return name_ko.empty() ? code : absl::StrCat(code, " ", name_ko);
}

std::string Years(int32_t first, int32_t last) { return absl::StrCat(first, "–", last); }

// "key   value" lines with the keys padded to one width.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t key_width = 0;
  for (const auto& [key, value] : fields) key_width = std::max(key_width, DisplayWidth(key));
  std::string out;
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&out, PadRight(key, key_width), "  ", value, "\n");
  }
  return out;
}

// ---- Parts of the views ------------------------------------------------

// "12.5%": `part` as a share of `whole`, to one decimal, in integer
// arithmetic (money never goes through floating point); "-" when whole is 0.
std::string Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return "-";
  // Amounts here are at most a program budget (~10^11 KRW): x1000 fits.
  const int64_t tenths = (part * 1000 + whole / 2) / whole;
  return absl::StrCat(tenths / 10, ".", tenths % 10, "%");
}

// "2 hired, 0 left, 1 graduated, 5 enrolled, 0 retracted".
std::string DescribeCounts(const v1::ResearcherCounts& counts) {
  return absl::StrCat(counts.hired(), " hired, ", counts.left(), " left, ", counts.graduated(),
                      " graduated, ", counts.enrolled(), " enrolled, ", counts.retracted(),
                      " retracted");
}

// "3128195582 주식회사 코넥" for a member of the consortium (current or
// former); the bare id for anyone else.
std::string MemberLabel(const v1::ConsortiumStatus& c, const std::string& participant_id) {
  if (participant_id.empty()) return "-";
  for (const v1::Membership& m : c.members()) {
    if (m.participant().participant_id() == participant_id) {
      return absl::StrCat(participant_id, " ", m.participant().name_ko());
    }
  }
  for (const v1::Participant& p : c.participants()) {
    if (p.participant_id() == participant_id) return absl::StrCat(participant_id, " ", p.name_ko());
  }
  return participant_id;
}

// The date a researcher reached the stage they are at.
pb::Timestamp StageSince(const v1::Researcher& r) {
  switch (r.stage()) {
    case v1::RESEARCHER_STAGE_ENROLLED:
      return r.enrolled_at();
    case v1::RESEARCHER_STAGE_GRADUATED:
      return r.graduated_at();
    case v1::RESEARCHER_STAGE_HIRED:
      return r.hired_at();
    case v1::RESEARCHER_STAGE_LEFT:
      return r.left_at();
    default:
      return pb::Timestamp();
  }
}

std::string RenderMembers(const v1::ConsortiumStatus& c) {
  Table members({{"member"}, {"name_ko"}, {"name_en"}, {"role"}, {"joined"}, {"status"}});
  int current = 0;
  for (const v1::Membership& m : c.members()) {
    const v1::Participant& p = m.participant();
    std::string status;
    if (m.current()) {
      ++current;
      status = p.participant_id() == c.lead_participant_id() ? "current, lead" : "current";
    } else {
      status = absl::StrCat("FORMER: withdrew ", Day(m.withdrawn_at()));
      if (!m.withdrawal_reason().empty())
        absl::StrAppend(&status, " (", m.withdrawal_reason(), ")");
    }
    members.AddRow({p.participant_id(), p.name_ko(), p.name_en(), RoleName(p.role()),
                    Day(m.joined_at()), status});
  }
  // A server without membership history: the current members only.
  if (c.members_size() == 0) {
    for (const v1::Participant& p : c.participants()) {
      ++current;
      members.AddRow({p.participant_id(), p.name_ko(), p.name_en(), RoleName(p.role()), "-",
                      p.participant_id() == c.lead_participant_id() ? "current, lead" : "current"});
    }
  }
  return absl::StrCat("\nmembers (", current, " current, ", members.row_count() - current,
                      " former)\n", members.Render());
}

std::string RenderFunding(const v1::ConsortiumStatus& c) {
  int64_t annual_limit_krw = 0;
  for (const v1::YearFunding& y : c.funding_by_year()) {
    annual_limit_krw = std::max(annual_limit_krw, y.annual_limit_krw());
  }
  std::string out = absl::StrCat(
      "\nfunding: committed by agreements ", KrwWithReadable(c.committed_total_krw()),
      ", disbursed ", KrwWithReadable(c.disbursed_total_krw()), "\n  limits ",
      KrwWithReadable(annual_limit_krw), " a year, ", KrwWithReadable(c.limit_total_krw()),
      " over the term\n  'left of limit' is against the year's limit; in the total row, against "
      "the term's\n");
  Table funding({{"year", Table::Align::kRight},
                 {"agreement"},
                 {"committed", Table::Align::kRight},
                 {"disbursed", Table::Align::kRight},
                 {"left of commitment", Table::Align::kRight},
                 {"left of limit", Table::Align::kRight},
                 {"payments", Table::Align::kRight},
                 {"reversals", Table::Align::kRight}});
  int64_t remaining_commitment_krw = 0;
  for (const v1::YearFunding& y : c.funding_by_year()) {
    std::string agreement = "not signed";
    if (y.agreement_signed()) {
      agreement = absl::StrCat(y.agreement_reference().empty() ? "signed" : y.agreement_reference(),
                               " ", Day(y.agreement_signed_at()));
      if (y.amendment_count() > 0) {
        absl::StrAppend(&agreement, ", amended ", y.amendment_count(), "x");
      }
      remaining_commitment_krw += y.remaining_commitment_krw();
    }
    funding.AddRow({absl::StrCat(y.program_year()), agreement,
                    KrwOrDash(y.agreement_signed(), y.committed_krw()),
                    KrwWithReadable(y.disbursed_krw()),
                    KrwOrDash(y.agreement_signed(), y.remaining_commitment_krw()),
                    KrwWithReadable(y.remaining_krw()), absl::StrCat(y.disbursement_count()),
                    absl::StrCat(y.reversal_count())});
  }
  funding.AddRow({"total", "", KrwWithReadable(c.committed_total_krw()),
                  KrwWithReadable(c.disbursed_total_krw()),
                  KrwWithReadable(remaining_commitment_krw),
                  KrwWithReadable(c.remaining_total_krw())});
  absl::StrAppend(&out, funding.Render());
  return out;
}

std::string RenderResearchers(const v1::ConsortiumStatus& c) {
  std::string out = absl::StrCat("\nresearchers (", c.researchers_size(), ": ",
                                 DescribeCounts(c.researcher_counts()), ")\n");
  if (c.researchers_size() == 0) return out;
  Table researchers({{"researcher"},
                     {"stage"},
                     {"since"},
                     {"lab"},
                     {"track"},
                     {"degree"},
                     {"enterprise"},
                     {"steps", Table::Align::kRight}});
  Table retracted({{"researcher"}, {"retracted step"}, {"of"}, {"step event"}, {"retracted by"}});
  // By stage, furthest along first (a stage newer than this tool last);
  // within a stage in the server's order, by id.
  const auto stage_rank = [](v1::ResearcherStage stage) {
    size_t rank = 0;
    while (rank < std::size(kStageNames) && kStageNames[rank].value != stage) ++rank;
    return rank;
  };
  std::vector<const v1::Researcher*> by_stage;
  for (const v1::Researcher& r : c.researchers()) by_stage.push_back(&r);
  std::stable_sort(by_stage.begin(), by_stage.end(),
                   [&](const v1::Researcher* a, const v1::Researcher* b) {
                     return stage_rank(a->stage()) < stage_rank(b->stage());
                   });
  for (const v1::Researcher* researcher : by_stage) {
    const v1::Researcher& r = *researcher;
    int retracted_steps = 0;
    for (const v1::ResearcherStep& step : r.steps()) {
      if (!step.retracted()) continue;
      ++retracted_steps;
      retracted.AddRow({r.researcher_id(), step.event_type(), Day(step.occurred_at()),
                        step.event_id(), step.retraction_event_id()});
    }
    std::string steps = absl::StrCat(r.steps_size());
    if (retracted_steps > 0) absl::StrAppend(&steps, " (", retracted_steps, " retracted)");
    researchers.AddRow({r.researcher_id(), StageName(r.stage()), Day(StageSince(r)), r.lab_id(),
                        TrackName(r.track()), DegreeName(r.degree()),
                        MemberLabel(c, r.enterprise_participant_id()), steps});
  }
  absl::StrAppend(&out, researchers.Render());
  if (retracted.row_count() > 0) {
    absl::StrAppend(&out, "\nretracted steps (", retracted.row_count(), ", counted nowhere)\n",
                    retracted.Render());
  }
  return out;
}

// The budget not promised to a selected consortium, and how much of it the
// unfilled slots of opened rounds hold for their consortia to come.
std::string Uncommitted(const v1::ProgramSummary& p) {
  int64_t open_slots = 0;
  for (const v1::SelectionRound& round : p.rounds()) {
    open_slots += std::max(0, round.slots() - round.selected_count());
  }
  std::string text = KrwWithReadable(p.uncommitted_krw());
  if (open_slots > 0) {
    absl::StrAppend(&text, ", of which ",
                    KrwWithReadable(open_slots * p.rules().consortium_limit_krw()), " held for ",
                    open_slots, open_slots == 1 ? " open slot" : " open slots", " in rounds");
  }
  return text;
}

// One line on what an event says, for the events table.
std::string Summarize(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kProgramEstablished: {
      const auto& e = event.program_established();
      return absl::StrCat(e.program_id(), " ", e.name_ko(), ", budget ",
                          ReadableKrw(e.rules().total_budget_krw()));
    }
    case v1::Event::kConsortiumSelected: {
      const auto& e = event.consortium_selected();
      return absl::StrCat(e.consortium_id(), " ", Region(e.region_code(), e.region_name_ko()), " ",
                          e.field_ko(), ", lead ", e.lead_participant_id(), ", ",
                          e.participants_size(), " members");
    }
    case v1::Event::kLabDesignated: {
      const auto& e = event.lab_designated();
      return absl::StrCat(e.lab_id(), " ", e.lab_name_ko(), " (", e.university_participant_id(),
                          ")");
    }
    case v1::Event::kFundsDisbursed: {
      const auto& e = event.funds_disbursed();
      return absl::StrCat(e.program_year(), " ", KrwWithReadable(e.amount_krw()), " ref ",
                          e.payment_reference());
    }
    case v1::Event::kDisbursementReversed: {
      const auto& e = event.disbursement_reversed();
      return absl::StrCat("reverses ", e.corrects_event_id(), " (", e.program_year(), " ",
                          KrwWithReadable(e.amount_krw()), "): ", e.reason());
    }
    case v1::Event::kResearcherHired: {
      const auto& e = event.researcher_hired();
      return absl::StrCat(e.researcher_id(), " ", DegreeName(e.degree()), " from ", e.lab_id(),
                          " hired by ", e.enterprise_participant_id());
    }
    case v1::Event::kSelectionRoundOpened: {
      const auto& e = event.selection_round_opened();
      return absl::StrCat(e.program_id(), " round ", e.round_year(), ", ", e.slots(), " slots");
    }
    case v1::Event::kAgreementSigned: {
      const auto& e = event.agreement_signed();
      return absl::StrCat(e.program_year(), " grant ", KrwWithReadable(e.grant_krw()),
                          e.agreement_reference().empty() ? "" : " ref ", e.agreement_reference());
    }
    case v1::Event::kAgreementAmended: {
      const auto& e = event.agreement_amended();
      return absl::StrCat(e.program_year(), " grant ", KrwWithReadable(e.previous_grant_krw()),
                          " -> ", KrwWithReadable(e.grant_krw()), " (corrects ",
                          e.corrects_event_id(), "): ", e.reason());
    }
    case v1::Event::kParticipantJoined: {
      const auto& e = event.participant_joined();
      return absl::StrCat(e.participant().participant_id(), " ", e.participant().name_ko(),
                          " joined as ", RoleName(e.participant().role()));
    }
    case v1::Event::kParticipantWithdrew: {
      const auto& e = event.participant_withdrew();
      return absl::StrCat(e.participant_id(), " (", RoleName(e.role()), ") withdrew: ", e.reason());
    }
    case v1::Event::kResearcherEnrolled: {
      const auto& e = event.researcher_enrolled();
      return absl::StrCat(e.researcher_id(), " enrolled in ", e.lab_id(), ", ",
                          TrackName(e.track()), " track");
    }
    case v1::Event::kResearcherGraduated: {
      const auto& e = event.researcher_graduated();
      return absl::StrCat(e.researcher_id(), " graduated, ", DegreeName(e.degree()));
    }
    case v1::Event::kResearcherLeft: {
      const auto& e = event.researcher_left();
      return absl::StrCat(e.researcher_id(), " left ", e.enterprise_participant_id(),
                          e.reason().empty() ? "" : ": ", e.reason());
    }
    case v1::Event::kResearcherStepRetracted: {
      const auto& e = event.researcher_step_retracted();
      return absl::StrCat("retracts ", e.retracted_event_type(), " ", e.corrects_event_id(), " of ",
                          e.researcher_id(), ": ", e.reason());
    }
    case v1::Event::kEvaluationRecorded: {
      const auto& e = event.evaluation_recorded();
      return absl::StrCat(e.program_year(), " evaluation ", GradeName(e.grade()),
                          e.score() == 0 ? "" : absl::StrCat(", score ", e.score()));
    }
    case v1::Event::kEvaluationCorrected: {
      const auto& e = event.evaluation_corrected();
      return absl::StrCat(e.program_year(), " evaluation now ", GradeName(e.grade()),
                          e.score() == 0 ? "" : absl::StrCat(", score ", e.score()), " (corrects ",
                          e.corrects_event_id(), "): ", e.reason());
    }
    case v1::Event::kConsortiumSuspended:
      return absl::StrCat("suspended: ", event.consortium_suspended().reason());
    case v1::Event::kConsortiumResumed:
      return absl::StrCat("resumed: ", event.consortium_resumed().reason());
    case v1::Event::kConsortiumTerminated:
      return absl::StrCat("terminated: ", event.consortium_terminated().reason());
    case v1::Event::kConsortiumCompleted:
      return "completed its term";
    case v1::Event::KIND_NOT_SET:
      break;
  }
  return "(no payload)";
}

}  // namespace

// ---- The views (views.h) -----------------------------------------------

std::string RenderConsortium(const v1::ConsortiumStatus& c) {
  std::string state = StateName(c.state());
  if (c.state_history_size() > 0) {
    absl::StrAppend(&state, " since ",
                    Day(c.state_history(c.state_history_size() - 1).occurred_at()));
  }
  std::string out = RenderFields({
      {"consortium", c.consortium_id()},
      {"program", absl::StrCat(c.program_id(), " (round ", c.round_year(), ")")},
      {"state", state},
      {"region", Region(c.region_code(), c.region_name_ko())},
      {"field", absl::StrCat(c.field_ko(), " / ", c.field_en())},
      {"lead", MemberLabel(c, c.lead_participant_id())},
      {"term", Years(c.term_first_year(), c.term_last_year())},
      {"selected at", FormatTimestamp(c.selected_at())},
      {"hires", absl::StrCat(c.hire_count(), " of target ", c.hire_target())},
      {"researchers", DescribeCounts(c.researcher_counts())},
      {"stream",
       absl::StrCat("version ", c.stream_version(), ", last position ", c.last_global_position())},
  });

  if (c.state_history_size() > 0) {
    Table history({{"state"}, {"at"}, {"reason"}, {"event"}});
    for (const v1::StateChange& change : c.state_history()) {
      history.AddRow({StateName(change.state()), FormatTimestamp(change.occurred_at()),
                      change.reason(), change.event_id()});
    }
    absl::StrAppend(&out, "\nstate history (", c.state_history_size(), ")\n", history.Render());
  }

  absl::StrAppend(&out, RenderMembers(c));

  absl::StrAppend(&out, "\nlabs (", c.labs_size(), ")\n");
  if (c.labs_size() > 0) {
    Table labs({{"lab"}, {"name_ko"}, {"university"}, {"designated at"}});
    for (const v1::Lab& lab : c.labs()) {
      labs.AddRow({lab.lab_id(), lab.lab_name_ko(), MemberLabel(c, lab.university_participant_id()),
                   FormatTimestamp(lab.designated_at())});
    }
    absl::StrAppend(&out, labs.Render());
  }

  absl::StrAppend(&out, RenderFunding(c));
  absl::StrAppend(&out, RenderResearchers(c));

  absl::StrAppend(&out, "\nhires (", c.hire_count(), " of target ", c.hire_target(), ")\n");
  if (c.hires_size() > 0) {
    Table hires({{"researcher"},
                 {"degree"},
                 {"lab"},
                 {"enterprise"},
                 {"hired at"},
                 {"left at"},
                 {"event"}});
    for (const v1::Hire& h : c.hires()) {
      hires.AddRow({h.researcher_id(), DegreeName(h.degree()), h.lab_id(),
                    MemberLabel(c, h.enterprise_participant_id()), Day(h.hired_at()),
                    Day(h.left_at()), h.event_id()});
    }
    absl::StrAppend(&out, hires.Render());
  }

  absl::StrAppend(&out, "\nevaluations (", c.evaluations_size(), ")\n");
  if (c.evaluations_size() > 0) {
    Table evaluations({{"year", Table::Align::kRight},
                       {"grade"},
                       {"score", Table::Align::kRight},
                       {"evaluated"},
                       {"corrections", Table::Align::kRight},
                       {"summary"},
                       {"event"}});
    for (const v1::Evaluation& e : c.evaluations()) {
      evaluations.AddRow({absl::StrCat(e.program_year()), GradeName(e.grade()),
                          e.score() == 0 ? "-" : absl::StrCat(e.score()), Day(e.evaluated_at()),
                          absl::StrCat(e.correction_count()), e.summary(), e.event_id()});
    }
    absl::StrAppend(&out, evaluations.Render());
  }
  return out;
}

std::string RenderConsortiumList(const v1::ListConsortiaResponse& list) {
  Table table({{"consortium"},
               {"round", Table::Align::kRight},
               {"state"},
               {"region"},
               {"field"},
               {"lead"},
               {"disbursed", Table::Align::kRight},
               {"hires", Table::Align::kRight}});
  for (const v1::ConsortiumStatus& c : list.consortia()) {
    table.AddRow({c.consortium_id(), absl::StrCat(c.round_year()), StateName(c.state()),
                  Region(c.region_code(), c.region_name_ko()),
                  absl::StrCat(c.field_ko(), " / ", c.field_en()),
                  MemberLabel(c, c.lead_participant_id()), KrwWithReadable(c.disbursed_total_krw()),
                  absl::StrCat(c.hire_count(), "/", c.hire_target())});
  }
  std::string out = table.Render();
  absl::StrAppend(&out, "(", list.consortia_size(), " consortia)\n");
  if (!list.next_page_token().empty()) {
    absl::StrAppend(&out, "next page: --page_token=", list.next_page_token(), "\n");
  }
  return out;
}

std::string RenderProgram(const v1::ProgramSummary& p) {
  const v1::ProgramRules& r = p.rules();
  std::string out = RenderFields({
      {"program", p.program_id()},
      {"name", p.name_en().empty() ? p.name_ko() : absl::StrCat(p.name_ko(), " / ", p.name_en())},
      {"ministry", p.ministry()},
      {"managing agency", p.managing_agency()},
      {"established at", FormatTimestamp(p.established_at())},
      {"period", Years(r.first_year(), r.last_year())},
      {"total budget", KrwWithReadable(r.total_budget_krw())},
      {"per consortium", absl::StrCat(KrwWithReadable(r.consortium_limit_krw()), " over ",
                                      r.consortium_term_years(), " years")},
      {"per year", KrwWithReadable(r.consortium_annual_limit_krw())},
      {"eligibility", absl::StrCat("at least ", r.min_midsized_enterprises(),
                                   " mid-sized enterprises; excluded regions ",
                                   absl::StrJoin(r.excluded_region_codes(), ", "))},
      {"consortia", absl::StrCat(p.consortium_count(), ": ", p.active_count(), " active, ",
                                 p.suspended_count(), " suspended, ", p.terminated_count(),
                                 " terminated, ", p.completed_count(), " completed")},
      {"committed", absl::StrCat(KrwWithReadable(p.committed_krw()), ", ",
                                 Percent(p.committed_krw(), r.total_budget_krw()),
                                 " of the budget (selected consortia x their limit)")},
      {"uncommitted", Uncommitted(p)},
      {"agreed", absl::StrCat(KrwWithReadable(p.agreed_total_krw()), ", ",
                              Percent(p.agreed_total_krw(), r.total_budget_krw()),
                              " of the budget (signed agreements)")},
      {"disbursed",
       absl::StrCat(KrwWithReadable(p.disbursed_total_krw()), ", ",
                    Percent(p.disbursed_total_krw(), p.agreed_total_krw()), " of agreed, ",
                    Percent(p.disbursed_total_krw(), r.total_budget_krw()), " of the budget")},
      {"hires", absl::StrCat(p.hire_count(), " of target ", p.hiring_target())},
      {"researchers", DescribeCounts(p.researcher_counts())},
      {"last position", absl::StrCat(p.last_global_position())},
  });
  Table rounds({{"round", Table::Align::kRight},
                {"slots", Table::Align::kRight},
                {"selected", Table::Align::kRight},
                {"open", Table::Align::kRight},
                {"opened at"},
                {"consortia"}});
  for (const v1::SelectionRound& round : p.rounds()) {
    rounds.AddRow({absl::StrCat(round.round_year()), absl::StrCat(round.slots()),
                   absl::StrCat(round.selected_count()),
                   absl::StrCat(std::max(0, round.slots() - round.selected_count())),
                   Day(round.opened_at()), absl::StrJoin(round.consortium_ids(), ", ")});
  }
  absl::StrAppend(&out, "\nrounds (", p.rounds_size(), ")\n", rounds.Render());
  Table regions({{"region"},
                 {"consortia", Table::Align::kRight},
                 {"disbursed", Table::Align::kRight},
                 {"hires", Table::Align::kRight}});
  for (const v1::RegionSummary& region : p.by_region()) {
    regions.AddRow({Region(region.region_code(), region.region_name_ko()),
                    absl::StrCat(region.consortium_count()),
                    KrwWithReadable(region.disbursed_krw()), absl::StrCat(region.hire_count())});
  }
  absl::StrAppend(&out, "\nby region\n", regions.Render());
  Table fields({{"field"},
                {"consortia", Table::Align::kRight},
                {"disbursed", Table::Align::kRight},
                {"hires", Table::Align::kRight}});
  for (const v1::FieldSummary& field : p.by_field()) {
    fields.AddRow({absl::StrCat(field.field_ko(), " / ", field.field_en()),
                   absl::StrCat(field.consortium_count()), KrwWithReadable(field.disbursed_krw()),
                   absl::StrCat(field.hire_count())});
  }
  absl::StrAppend(&out, "\nby field\n", fields.Render());
  Table years({{"year", Table::Align::kRight},
               {"agreed", Table::Align::kRight},
               {"disbursed", Table::Align::kRight},
               {"enrolments", Table::Align::kRight},
               {"hires", Table::Align::kRight}});
  for (const v1::YearSummary& year : p.by_year()) {
    years.AddRow({absl::StrCat(year.program_year()), KrwWithReadable(year.agreed_krw()),
                  KrwWithReadable(year.disbursed_krw()), absl::StrCat(year.enrolment_count()),
                  absl::StrCat(year.hire_count())});
  }
  absl::StrAppend(&out, "\nby year\n", years.Render());
  return out;
}

std::string RenderParticipant(const v1::ParticipantStatus& p) {
  int current = 0;
  for (const v1::ParticipantMembership& m : p.memberships()) current += m.current() ? 1 : 0;
  std::string out = RenderFields({
      {"participant", p.participant_id()},
      {"name", p.name_en().empty() ? p.name_ko() : absl::StrCat(p.name_ko(), " / ", p.name_en())},
      {"consortia", absl::StrCat(current, " current, ", p.memberships_size() - current, " former")},
      {"hires", absl::StrCat(p.hire_count())},
      {"last position", absl::StrCat(p.last_global_position())},
  });
  Table memberships({{"consortium"}, {"program"}, {"role"}, {"lead"}, {"joined"}, {"status"}});
  for (const v1::ParticipantMembership& m : p.memberships()) {
    memberships.AddRow(
        {m.consortium_id(), m.program_id(), RoleName(m.role()), m.lead() ? "lead" : "",
         Day(m.joined_at()),
         m.current() ? "current" : absl::StrCat("FORMER: withdrew ", Day(m.withdrawn_at()))});
  }
  absl::StrAppend(&out, "\nmemberships (", p.memberships_size(), ")\n", memberships.Render());
  absl::StrAppend(&out, "\nhires (", p.hires_size(), ")\n");
  if (p.hires_size() > 0) {
    Table hires({{"consortium"}, {"researcher"}, {"degree"}, {"hired"}, {"left"}, {"event"}});
    for (const v1::ParticipantHire& h : p.hires()) {
      hires.AddRow({h.consortium_id(), h.researcher_id(), DegreeName(h.degree()), Day(h.hired_at()),
                    Day(h.left_at()), h.event_id()});
    }
    absl::StrAppend(&out, hires.Render());
  }
  return out;
}

std::string RenderEvents(const v1::ReadEventsResponse& events) {
  Table table({{"position", Table::Align::kRight},
               {"stream"},
               {"version", Table::Align::kRight},
               {"type"},
               {"event"},
               {"recorded at"},
               {"by"},
               {"what"}});
  for (const v1::EventEnvelope& e : events.events()) {
    table.AddRow({absl::StrCat(e.global_position()), e.stream_id(),
                  absl::StrCat(e.stream_version()), e.event_type(), e.event_id(),
                  FormatTimestamp(e.recorded_at()),
                  absl::StrCat(e.recorded_by().agency(), "/", e.recorded_by().principal()),
                  Summarize(e.payload())});
  }
  std::string out = table.Render();
  absl::StrAppend(&out, "(", events.events_size(), " events)\n");
  if (events.next_from() != 0) absl::StrAppend(&out, "more: --from=", events.next_from(), "\n");
  return out;
}

}  // namespace alliance::client
