// The program's rules (domain.md rules 1, 3, 4, 5), read against the ledger
// state. Every limit comes from the program's ProgramRules: rules are data,
// so a second program or a 2024 round needs no change here.
#include "services/domain/decide.h"

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "services/domain/model_keys.h"
#include "services/domain/validate.h"
#include "storage/refusal.h"

namespace alliance::domain {
namespace {

using ::google::protobuf::RepeatedPtrField;

// ---- Lookups ------------------------------------------------------------------

const v1::ConsortiumStatus* FindConsortium(const LedgerState& state, const std::string& id) {
  auto it = state.consortia.find(id);
  return it == state.consortia.end() ? nullptr : &it->second;
}

const v1::ProgramRules& RulesOf(const LedgerState& state, const v1::ConsortiumStatus& consortium) {
  auto it = state.programs.find(consortium.program_id());
  // A consortium is only ever selected into an established program.
  assert(it != state.programs.end());
  return it->second.rules();
}

const v1::Participant* FindParticipant(const RepeatedPtrField<v1::Participant>& participants,
                                       const std::string& participant_id) {
  for (const v1::Participant& participant : participants) {
    if (participant.participant_id() == participant_id) return &participant;
  }
  return nullptr;
}

// "a university", "a mid-sized enterprise", ...: for messages people read.
absl::string_view RoleInWords(v1::ParticipantRole role) {
  switch (role) {
    case v1::PARTICIPANT_ROLE_UNIVERSITY:
      return "a university";
    case v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE:
      return "a mid-sized enterprise";
    case v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE:
      return "a research institute";
    case v1::PARTICIPANT_ROLE_INNOVATION_INSTITUTION:
      return "an innovation institution";
    case v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT:
      return "a local government";
    default:
      return "of no known role";
  }
}

absl::Status ConsortiumNotFound(const std::string& consortium_id) {
  return Refuse(absl::StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                absl::StrCat("consortium ", consortium_id,
                             " has not been selected into any program; check the id or select "
                             "it first"),
                {{"consortium_id", consortium_id}});
}

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

// ---- Selection (rule 1) ---------------------------------------------------------

absl::Status CheckSelectionPeriod(const v1::ProgramRules& rules,
                                  const v1::ConsortiumSelected& selection) {
  const int32_t round_year = selection.round_year();
  if (round_year < rules.first_year() || round_year > rules.last_year()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "ROUND_OUTSIDE_PROGRAM_PERIOD",
                  absl::StrCat("round ", round_year, " is outside the program period ",
                               rules.first_year(), "..", rules.last_year()),
                  {{"round_year", absl::StrCat(round_year)},
                   {"first_year", absl::StrCat(rules.first_year())},
                   {"last_year", absl::StrCat(rules.last_year())}});
  }
  const int32_t term_last_year = round_year + rules.consortium_term_years() - 1;
  if (term_last_year > rules.last_year()) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "TERM_OUTSIDE_PROGRAM_PERIOD",
        absl::StrCat("a consortium selected in ", round_year, " would be funded ", round_year, "..",
                     term_last_year, " (", rules.consortium_term_years(),
                     " years), past the program's last year ", rules.last_year()),
        {{"round_year", absl::StrCat(round_year)},
         {"term_years", absl::StrCat(rules.consortium_term_years())},
         {"term_last_year", absl::StrCat(term_last_year)},
         {"last_year", absl::StrCat(rules.last_year())}});
  }
  return absl::OkStatus();
}

absl::Status CheckSelectionMembers(const v1::ProgramRules& rules,
                                   const v1::ConsortiumSelected& selection) {
  const v1::Participant* lead =
      FindParticipant(selection.participants(), selection.lead_participant_id());
  const v1::ParticipantRole lead_role =
      lead == nullptr ? v1::PARTICIPANT_ROLE_UNSPECIFIED : lead->role();
  if (lead_role != v1::PARTICIPANT_ROLE_UNIVERSITY) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "LEAD_NOT_UNIVERSITY",
        absl::StrCat("the lead participant ", selection.lead_participant_id(), " is ",
                     RoleInWords(lead_role), "; the lead R&D institution must be a university"),
        {{"lead_participant_id", selection.lead_participant_id()},
         {"role", v1::ParticipantRole_Name(lead_role)}});
  }
  int32_t midsized_count = 0;
  for (const v1::Participant& participant : selection.participants()) {
    if (participant.role() == v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE) ++midsized_count;
  }
  if (midsized_count < rules.min_midsized_enterprises()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "TOO_FEW_MIDSIZED_ENTERPRISES",
                  absl::StrCat("the consortium has ", midsized_count, " mid-sized enterprise",
                               midsized_count == 1 ? "" : "s", "; the program requires at least ",
                               rules.min_midsized_enterprises()),
                  {{"midsized_enterprise_count", absl::StrCat(midsized_count)},
                   {"min_midsized_enterprises", absl::StrCat(rules.min_midsized_enterprises())}});
  }
  return absl::OkStatus();
}

absl::Status CheckSelectionRegion(const v1::ProgramRules& rules,
                                  const v1::ConsortiumSelected& selection) {
  for (const std::string& excluded : rules.excluded_region_codes()) {
    if (excluded != selection.region_code()) continue;
    const std::string excluded_list = absl::StrJoin(rules.excluded_region_codes(), ", ");
    return Refuse(absl::StatusCode::kFailedPrecondition, "REGION_EXCLUDED",
                  absl::StrCat("region ", selection.region_code(), " (", selection.region_name_ko(),
                               ") is in the program's excluded regions (", excluded_list, ")"),
                  {{"region_code", selection.region_code()},
                   {"excluded_region_codes", absl::StrJoin(rules.excluded_region_codes(), ",")}});
  }
  return absl::OkStatus();
}

absl::Status CheckSelectionBudget(const v1::ProgramSummary& program) {
  const v1::ProgramRules& rules = program.rules();
  // Validation bounds every limit by kAmountKrwMax and the count by
  // total / limit, so this product cannot overflow.
  const int64_t would_be_krw =
      (static_cast<int64_t>(program.consortium_count()) + 1) * rules.consortium_limit_krw();
  if (would_be_krw <= rules.total_budget_krw()) return absl::OkStatus();
  return Refuse(
      absl::StatusCode::kFailedPrecondition, "PROGRAM_BUDGET_EXHAUSTED",
      absl::StrCat("program ", program.program_id(), " has ", program.consortium_count(),
                   " consortia committing ", FormatKrw(program.committed_krw()),
                   " KRW; another at ", FormatKrw(rules.consortium_limit_krw()), " KRW would make ",
                   FormatKrw(would_be_krw), " KRW, over the total budget of ",
                   FormatKrw(rules.total_budget_krw()), " KRW"),
      {{"program_id", program.program_id()},
       {"consortium_count", absl::StrCat(program.consortium_count())},
       {"committed_krw", absl::StrCat(program.committed_krw())},
       {"consortium_limit_krw", absl::StrCat(rules.consortium_limit_krw())},
       {"would_be_krw", absl::StrCat(would_be_krw)},
       {"total_budget_krw", absl::StrCat(rules.total_budget_krw())}});
}

// ---- Disbursement (rule 3) --------------------------------------------------------

absl::Status CheckPaymentReferenceUnused(const LedgerState& state,
                                         const v1::FundsDisbursed& funds) {
  absl::StatusOr<std::optional<std::string>> original_event_id =
      LookUpRuleEntry(state, PaymentRuleKey(funds.consortium_id(), funds.payment_reference()));
  if (!original_event_id.ok()) return original_event_id.status();
  if (!original_event_id->has_value()) return absl::OkStatus();
  return Refuse(absl::StatusCode::kAlreadyExists, "PAYMENT_REFERENCE_ALREADY_USED",
                absl::StrCat("payment reference ", funds.payment_reference(),
                             " was already recorded for consortium ", funds.consortium_id(),
                             " by event ", **original_event_id, ": one reference, one payment"),
                {{"consortium_id", funds.consortium_id()},
                 {"payment_reference", funds.payment_reference()},
                 {"original_event_id", **original_event_id}});
}

const v1::YearFunding* FindYear(const v1::ConsortiumStatus& consortium, int32_t program_year) {
  for (const v1::YearFunding& year : consortium.funding_by_year()) {
    if (year.program_year() == program_year) return &year;
  }
  return nullptr;
}

absl::Status CheckProgramYear(const v1::ProgramRules& rules, const v1::ConsortiumStatus& consortium,
                              int32_t program_year) {
  const bool in_term =
      program_year >= consortium.term_first_year() && program_year <= consortium.term_last_year();
  const bool in_period = program_year >= rules.first_year() && program_year <= rules.last_year();
  if (in_term && in_period) return absl::OkStatus();
  return Refuse(absl::StatusCode::kFailedPrecondition, "PROGRAM_YEAR_OUTSIDE_TERM",
                absl::StrCat("program year ", program_year, " is outside consortium ",
                             consortium.consortium_id(), "'s term ", consortium.term_first_year(),
                             "..", consortium.term_last_year(), " or the program period ",
                             rules.first_year(), "..", rules.last_year()),
                {{"consortium_id", consortium.consortium_id()},
                 {"program_year", absl::StrCat(program_year)},
                 {"term_first_year", absl::StrCat(consortium.term_first_year())},
                 {"term_last_year", absl::StrCat(consortium.term_last_year())}});
}

// "<what> would be X KRW, limit Y KRW", the shape of both limit refusals.
absl::Status LimitExceeded(absl::string_view reason, absl::string_view what,
                           const v1::FundsDisbursed& funds, int64_t disbursed_krw,
                           int64_t limit_krw) {
  const int64_t would_be_krw = disbursed_krw + funds.amount_krw();
  return Refuse(absl::StatusCode::kFailedPrecondition, reason,
                absl::StrCat(what, " would be ", FormatKrw(would_be_krw), " KRW, limit ",
                             FormatKrw(limit_krw), " KRW"),
                {{"consortium_id", funds.consortium_id()},
                 {"program_year", absl::StrCat(funds.program_year())},
                 {"disbursed_krw", absl::StrCat(disbursed_krw)},
                 {"amount_krw", absl::StrCat(funds.amount_krw())},
                 {"would_be_krw", absl::StrCat(would_be_krw)},
                 {"limit_krw", absl::StrCat(limit_krw)}});
}

// What the payments decided earlier in the same request add to the
// consortium's totals, which the fold has not seen yet. Empty for a single
// payment.
struct EarlierPayments {
  absl::flat_hash_map<int32_t, int64_t> amount_krw_by_year;
  int64_t amount_krw = 0;

  void Add(const v1::FundsDisbursed& funds) {
    amount_krw_by_year[funds.program_year()] += funds.amount_krw();
    amount_krw += funds.amount_krw();
  }
  int64_t InYear(int32_t program_year) const {
    auto it = amount_krw_by_year.find(program_year);
    return it == amount_krw_by_year.end() ? 0 : it->second;
  }
};

absl::Status CheckLimits(const v1::ConsortiumStatus& consortium, const v1::FundsDisbursed& funds,
                         const EarlierPayments& earlier) {
  const v1::YearFunding* year = FindYear(consortium, funds.program_year());
  // The fold keeps one entry for every year of the term.
  assert(year != nullptr);
  // Each figure is at most a few kAmountKrwMax (kBatchDisbursementsMax of
  // them at most): no overflow.
  const int64_t year_disbursed_krw = year->disbursed_krw() + earlier.InYear(funds.program_year());
  if (year_disbursed_krw + funds.amount_krw() > year->annual_limit_krw()) {
    return LimitExceeded("ANNUAL_LIMIT_EXCEEDED", absl::StrCat(funds.program_year(), " total"),
                         funds, year_disbursed_krw, year->annual_limit_krw());
  }
  const int64_t total_disbursed_krw = consortium.disbursed_total_krw() + earlier.amount_krw;
  if (total_disbursed_krw + funds.amount_krw() > consortium.limit_total_krw()) {
    return LimitExceeded("CONSORTIUM_LIMIT_EXCEEDED", "running total", funds, total_disbursed_krw,
                         consortium.limit_total_krw());
  }
  return absl::OkStatus();
}

// Rule 3 for one payment to `consortium`, against its totals as the fold
// left them plus the `earlier` payments of the same request: the one check
// of DisburseFunds and of each payment of DisburseFundsBatch.
absl::Status CheckDisbursement(const LedgerState& state, const v1::ConsortiumStatus& consortium,
                               const v1::FundsDisbursed& funds, const EarlierPayments& earlier) {
  assert(funds.amount_krw() > 0 && funds.amount_krw() <= kAmountKrwMax);
  assert(funds.consortium_id() == consortium.consortium_id());
  // A repeated reference is the same payment sent twice: say so before any
  // limit, which the repeat would also break.
  if (absl::Status s = CheckPaymentReferenceUnused(state, funds); !s.ok()) return s;
  const v1::ProgramRules& rules = RulesOf(state, consortium);
  if (absl::Status s = CheckProgramYear(rules, consortium, funds.program_year()); !s.ok()) {
    return s;
  }
  return CheckLimits(consortium, funds, earlier);
}

// `refusal` of payment `index` of a batch, saying which: the message starts
// with it and the metadata holds payment_index.
absl::Status RefusalOfPayment(const absl::Status& refusal, int index) {
  const std::string message =
      absl::StrCat("payment ", index, " (disbursements[", index, "]): ", refusal.message());
  std::optional<RefusalDetails> details = GetRefusalDetails(refusal);
  // Every refusal of CheckDisbursement carries details; keep the code anyway.
  if (!details.has_value()) return absl::Status(refusal.code(), message);
  std::vector<std::pair<std::string, std::string>> metadata(details->metadata.begin(),
                                                            details->metadata.end());
  metadata.emplace_back("payment_index", absl::StrCat(index));
  return Refuse(refusal.code(), details->reason, message, std::move(metadata));
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

}  // namespace

absl::StatusOr<v1::Event> DecideEstablishProgram(const LedgerState& state,
                                                 const v1::EstablishProgramRequest& request) {
  const std::string& program_id = request.program().program_id();
  if (state.programs.contains(program_id)) {
    return Refuse(absl::StatusCode::kAlreadyExists, "PROGRAM_ALREADY_EXISTS",
                  absl::StrCat("program ", program_id,
                               " is already established; a program's rules are set once"),
                  {{"program_id", program_id}});
  }
  v1::Event event;
  *event.mutable_program_established() = request.program();
  return event;
}

absl::StatusOr<v1::Event> DecideSelectConsortium(const LedgerState& state,
                                                 const v1::SelectConsortiumRequest& request) {
  const v1::ConsortiumSelected& selection = request.selection();
  auto program = state.programs.find(selection.program_id());
  if (program == state.programs.end()) {
    return Refuse(absl::StatusCode::kNotFound, "PROGRAM_NOT_FOUND",
                  absl::StrCat("program ", selection.program_id(),
                               " has not been established; check the id or establish it first"),
                  {{"program_id", selection.program_id()}});
  }
  if (const v1::ConsortiumStatus* existing = FindConsortium(state, selection.consortium_id())) {
    return Refuse(absl::StatusCode::kAlreadyExists, "CONSORTIUM_ALREADY_SELECTED",
                  absl::StrCat("consortium ", selection.consortium_id(),
                               " was already selected into program ", existing->program_id(),
                               " in round ", existing->round_year()),
                  {{"consortium_id", selection.consortium_id()},
                   {"program_id", existing->program_id()},
                   {"round_year", absl::StrCat(existing->round_year())}});
  }
  const v1::ProgramRules& rules = program->second.rules();
  if (absl::Status s = CheckSelectionPeriod(rules, selection); !s.ok()) return s;
  if (absl::Status s = CheckSelectionMembers(rules, selection); !s.ok()) return s;
  if (absl::Status s = CheckSelectionRegion(rules, selection); !s.ok()) return s;
  if (absl::Status s = CheckSelectionBudget(program->second); !s.ok()) return s;
  v1::Event event;
  *event.mutable_consortium_selected() = selection;
  return event;
}

absl::StatusOr<v1::Event> DecideDesignateLab(const LedgerState& state,
                                             const v1::DesignateLabRequest& request) {
  const v1::LabDesignated& designation = request.designation();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, designation.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(designation.consortium_id());
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

absl::StatusOr<v1::Event> DecideDisburseFunds(const LedgerState& state,
                                              const v1::DisburseFundsRequest& request) {
  const v1::FundsDisbursed& funds = request.disbursement();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, funds.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(funds.consortium_id());
  if (absl::Status s = CheckDisbursement(state, *consortium, funds, EarlierPayments{}); !s.ok()) {
    return s;
  }
  v1::Event event;
  *event.mutable_funds_disbursed() = funds;
  return event;
}

absl::StatusOr<std::vector<v1::Event>> DecideDisburseFundsBatch(
    const LedgerState& state, const v1::DisburseFundsBatchRequest& request) {
  assert(request.disbursements_size() >= 1 &&
         request.disbursements_size() <= static_cast<int>(kBatchDisbursementsMax));
  // Validation made every payment name the same consortium.
  const std::string& consortium_id = request.disbursements(0).consortium_id();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, consortium_id);
  if (consortium == nullptr) return ConsortiumNotFound(consortium_id);
  std::vector<v1::Event> events;
  events.reserve(request.disbursements_size());
  EarlierPayments earlier;
  for (int i = 0; i < request.disbursements_size(); ++i) {
    const v1::FundsDisbursed& funds = request.disbursements(i);
    // Validation also made the references unique within the request, so the
    // rule index (which holds none of them yet) is enough to check them.
    if (absl::Status s = CheckDisbursement(state, *consortium, funds, earlier); !s.ok()) {
      return RefusalOfPayment(s, i);
    }
    earlier.Add(funds);
    *events.emplace_back().mutable_funds_disbursed() = funds;
  }
  return events;
}

absl::StatusOr<v1::Event> DecideReverseDisbursement(const LedgerState& state,
                                                    const v1::ReverseDisbursementRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  absl::StatusOr<std::optional<internal::v1::DisbursementRecord>> found =
      LookUpDisbursement(state, request.corrects_event_id());
  if (!found.ok()) return found.status();
  if (!found->has_value() || (*found)->consortium_id() != request.consortium_id()) {
    return Refuse(absl::StatusCode::kNotFound, "DISBURSEMENT_NOT_FOUND",
                  absl::StrCat("event ", request.corrects_event_id(),
                               " is not a disbursement to consortium ", request.consortium_id(),
                               "; name the event_id of the FundsDisbursed to reverse"),
                  {{"consortium_id", request.consortium_id()},
                   {"corrects_event_id", request.corrects_event_id()}});
  }
  const internal::v1::DisbursementRecord& original = **found;
  if (original.reversed()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "DISBURSEMENT_ALREADY_REVERSED",
                  absl::StrCat("disbursement ", request.corrects_event_id(), " of ",
                               FormatKrw(original.amount_krw()), " KRW (reference ",
                               original.payment_reference(), ") was already reversed"),
                  {{"consortium_id", request.consortium_id()},
                   {"corrects_event_id", request.corrects_event_id()},
                   {"amount_krw", absl::StrCat(original.amount_krw())}});
  }
  v1::Event event;
  v1::DisbursementReversed* reversed = event.mutable_disbursement_reversed();
  reversed->set_consortium_id(request.consortium_id());
  reversed->set_corrects_event_id(request.corrects_event_id());
  reversed->set_program_year(original.program_year());
  reversed->set_amount_krw(original.amount_krw());
  reversed->set_payment_reference(original.payment_reference());
  reversed->set_reason(request.reason());
  *reversed->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideRecordHire(const LedgerState& state,
                                           const v1::RecordHireRequest& request) {
  const v1::ResearcherHired& hire = request.hire();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, hire.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(hire.consortium_id());
  if (absl::Status s = CheckResearcherNotHired(*consortium, hire); !s.ok()) return s;
  if (absl::Status s = CheckLabDesignated(*consortium, hire.lab_id()); !s.ok()) return s;
  if (absl::Status s = RequireParticipantRole(
          *consortium, hire.enterprise_participant_id(), v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE,
          "ENTERPRISE_NOT_IN_CONSORTIUM", "the hiring enterprise");
      !s.ok()) {
    return s;
  }
  v1::Event event;
  *event.mutable_researcher_hired() = hire;
  return event;
}

}  // namespace alliance::domain
