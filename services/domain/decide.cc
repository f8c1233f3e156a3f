// The program's rules (domain.md rules 1, 3, 4, 5), read against the ledger
// state. Every limit comes from the program's ProgramRules: rules are data,
// so a second program or a 2024 round needs no change here.
#include "services/domain/decide.h"

#include <algorithm>
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
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "proto/errors/refusal.h"
#include "services/domain/model_keys.h"
#include "services/domain/rules.h"
#include "services/domain/validate.h"
#include "services/domain/validation.h"

namespace alliance::domain {
namespace {

// ---- Lookups ------------------------------------------------------------------

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
  if (year_disbursed_krw + funds.amount_krw() > year->committed_krw()) {
    return LimitExceeded("COMMITMENT_EXCEEDED",
                         absl::StrCat(funds.program_year(), " total against the agreement"), funds,
                         year_disbursed_krw, year->committed_krw());
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
  if (absl::Status s = RequireActive(consortium, "a disbursement goes to an active consortium");
      !s.ok()) {
    return s;
  }
  const v1::YearFunding* year = FindYear(consortium, funds.program_year());
  assert(year != nullptr);  // the fold keeps one entry for every year of the term
  if (!year->agreement_signed()) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "NO_AGREEMENT_FOR_YEAR",
        absl::StrCat("consortium ", consortium.consortium_id(), " has no agreement signed for ",
                     funds.program_year(), "; sign it (SignAgreement) before paying against it"),
        {{"consortium_id", consortium.consortium_id()},
         {"program_year", absl::StrCat(funds.program_year())}});
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

// ---- Agreements ------------------------------------------------------------------------

// The grants of every year but `program_year`, plus `grant_krw` for it, stay
// within the annual and the consortium limit.
absl::Status CheckGrant(const v1::ConsortiumStatus& consortium, int32_t program_year,
                        int64_t grant_krw) {
  const v1::YearFunding* year = FindYear(consortium, program_year);
  assert(year != nullptr);
  std::vector<std::pair<std::string, std::string>> metadata = {
      {"consortium_id", consortium.consortium_id()},
      {"program_year", absl::StrCat(program_year)},
      {"grant_krw", absl::StrCat(grant_krw)}};
  if (grant_krw > year->annual_limit_krw()) {
    metadata.emplace_back("limit_krw", absl::StrCat(year->annual_limit_krw()));
    return Refuse(absl::StatusCode::kFailedPrecondition, "GRANT_OVER_ANNUAL_LIMIT",
                  absl::StrCat("a ", program_year, " grant of ", FormatKrw(grant_krw),
                               " KRW is over the annual limit of ",
                               FormatKrw(year->annual_limit_krw()), " KRW"),
                  std::move(metadata));
  }
  // Each grant is at most kAmountKrwMax and a term has a few years: no overflow.
  const int64_t would_be_krw = consortium.committed_total_krw() - year->committed_krw() + grant_krw;
  if (would_be_krw > consortium.limit_total_krw()) {
    metadata.emplace_back("would_be_krw", absl::StrCat(would_be_krw));
    metadata.emplace_back("limit_krw", absl::StrCat(consortium.limit_total_krw()));
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "GRANT_OVER_CONSORTIUM_LIMIT",
        absl::StrCat("the grants of consortium ", consortium.consortium_id(),
                     "'s agreements would total ", FormatKrw(would_be_krw),
                     " KRW, over its limit of ", FormatKrw(consortium.limit_total_krw()), " KRW"),
        std::move(metadata));
  }
  return absl::OkStatus();
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

const v1::Evaluation* FindEvaluationByEvent(const v1::ConsortiumStatus& consortium,
                                            const std::string& event_id) {
  for (const v1::Evaluation& evaluation : consortium.evaluations()) {
    if (evaluation.event_id() == event_id) return &evaluation;
  }
  return nullptr;
}

}  // namespace

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

absl::StatusOr<v1::Event> DecideSignAgreement(const LedgerState& state,
                                              const v1::SignAgreementRequest& request) {
  const v1::AgreementSigned& agreement = request.agreement();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, agreement.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(agreement.consortium_id());
  if (absl::Status s = RequireActive(*consortium, "an agreement is signed with an active one");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckProgramYear(RulesOf(state, *consortium), *consortium, agreement.program_year());
      !s.ok()) {
    return s;
  }
  const v1::YearFunding* year = FindYear(*consortium, agreement.program_year());
  assert(year != nullptr);
  if (year->agreement_signed()) {
    return Refuse(
        absl::StatusCode::kAlreadyExists, "AGREEMENT_ALREADY_SIGNED",
        absl::StrCat("consortium ", consortium->consortium_id(), "'s ", agreement.program_year(),
                     " agreement was signed (event ", year->agreement_event_id(), ", grant ",
                     FormatKrw(year->committed_krw()), " KRW); change it with AmendAgreement"),
        {{"consortium_id", consortium->consortium_id()},
         {"program_year", absl::StrCat(agreement.program_year())},
         {"original_event_id", year->agreement_event_id()}});
  }
  if (absl::Status s = CheckGrant(*consortium, agreement.program_year(), agreement.grant_krw());
      !s.ok()) {
    return s;
  }
  v1::Event event;
  *event.mutable_agreement_signed() = agreement;
  return event;
}

absl::StatusOr<v1::Event> DecideAmendAgreement(const LedgerState& state,
                                               const v1::AmendAgreementRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  const v1::YearFunding* year = FindYear(*consortium, request.program_year());
  if (year == nullptr || !year->agreement_signed()) {
    return Refuse(absl::StatusCode::kNotFound, "AGREEMENT_NOT_FOUND",
                  absl::StrCat("consortium ", consortium->consortium_id(), " has no agreement for ",
                               request.program_year(), " to amend; sign it (SignAgreement)"),
                  {{"consortium_id", consortium->consortium_id()},
                   {"program_year", absl::StrCat(request.program_year())}});
  }
  // A grant going up is a new commitment: like a new agreement, only for an
  // active consortium. Going down (closing the books) is always possible.
  if (request.grant_krw() > year->committed_krw()) {
    if (IsClosed(*consortium)) {
      return Refuse(absl::StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
                    absl::StrCat("consortium ", consortium->consortium_id(), " is ",
                                 StateInWords(consortium->state()),
                                 " (final); its grants may only go down, not up to ",
                                 FormatKrw(request.grant_krw()), " KRW"),
                    {{"consortium_id", consortium->consortium_id()},
                     {"state", v1::ConsortiumState_Name(consortium->state())}});
    }
    const std::string what = absl::StrCat("a grant is raised (to ", FormatKrw(request.grant_krw()),
                                          " KRW) only for an active consortium; it may be lowered");
    if (absl::Status s = RequireActive(*consortium, what); !s.ok()) {
      return s;
    }
  }
  if (request.grant_krw() < year->disbursed_krw()) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "GRANT_BELOW_DISBURSED",
        absl::StrCat("a ", request.program_year(), " grant of ", FormatKrw(request.grant_krw()),
                     " KRW is below the ", FormatKrw(year->disbursed_krw()),
                     " KRW already disbursed for the year; reverse payments first"),
        {{"consortium_id", consortium->consortium_id()},
         {"program_year", absl::StrCat(request.program_year())},
         {"grant_krw", absl::StrCat(request.grant_krw())},
         {"disbursed_krw", absl::StrCat(year->disbursed_krw())}});
  }
  if (absl::Status s = CheckGrant(*consortium, request.program_year(), request.grant_krw());
      !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::AgreementAmended* amended = event.mutable_agreement_amended();
  amended->set_consortium_id(request.consortium_id());
  amended->set_program_year(request.program_year());
  amended->set_grant_krw(request.grant_krw());
  amended->set_previous_grant_krw(year->committed_krw());
  amended->set_corrects_event_id(year->agreement_event_id());
  amended->set_reason(request.reason());
  *amended->mutable_occurred_at() = request.occurred_at();
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

absl::StatusOr<v1::Event> DecideRecordEvaluation(const LedgerState& state,
                                                 const v1::RecordEvaluationRequest& request) {
  const v1::EvaluationRecorded& evaluation = request.evaluation();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, evaluation.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(evaluation.consortium_id());
  if (absl::Status s =
          CheckProgramYear(RulesOf(state, *consortium), *consortium, evaluation.program_year());
      !s.ok()) {
    return s;
  }
  for (const v1::Evaluation& earlier : consortium->evaluations()) {
    if (earlier.program_year() != evaluation.program_year()) continue;
    return Refuse(
        absl::StatusCode::kAlreadyExists, "EVALUATION_ALREADY_RECORDED",
        absl::StrCat("consortium ", consortium->consortium_id(), "'s ", evaluation.program_year(),
                     " evaluation is recorded (", v1::EvaluationGrade_Name(earlier.grade()),
                     ", event ", earlier.event_id(), "); change it with CorrectEvaluation"),
        {{"consortium_id", consortium->consortium_id()},
         {"program_year", absl::StrCat(evaluation.program_year())},
         {"original_event_id", earlier.event_id()}});
  }
  v1::Event event;
  *event.mutable_evaluation_recorded() = evaluation;
  return event;
}

absl::StatusOr<v1::Event> DecideCorrectEvaluation(const LedgerState& state,
                                                  const v1::CorrectEvaluationRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  const v1::Evaluation* evaluation =
      FindEvaluationByEvent(*consortium, request.corrects_event_id());
  if (evaluation == nullptr) {
    return Refuse(absl::StatusCode::kNotFound, "EVALUATION_NOT_FOUND",
                  absl::StrCat("event ", request.corrects_event_id(),
                               " is not the evaluation in effect of any year of consortium ",
                               consortium->consortium_id(),
                               "; name the year's EvaluationRecorded or its latest correction"),
                  {{"consortium_id", consortium->consortium_id()},
                   {"corrects_event_id", request.corrects_event_id()}});
  }
  v1::Event event;
  v1::EvaluationCorrected* corrected = event.mutable_evaluation_corrected();
  corrected->set_consortium_id(request.consortium_id());
  corrected->set_corrects_event_id(request.corrects_event_id());
  corrected->set_program_year(evaluation->program_year());
  corrected->set_grade(request.grade());
  corrected->set_score(request.score());
  corrected->set_reason(request.reason());
  *corrected->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideSuspendConsortium(const LedgerState& state,
                                                  const v1::ChangeConsortiumStateRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  if (absl::Status s = RequireActive(*consortium, "only an active consortium can be suspended");
      !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::ConsortiumSuspended* suspended = event.mutable_consortium_suspended();
  suspended->set_consortium_id(request.consortium_id());
  suspended->set_reason(request.reason());
  *suspended->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideResumeConsortium(const LedgerState& state,
                                                 const v1::ChangeConsortiumStateRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  if (absl::Status s =
          RequireState(*consortium, v1::CONSORTIUM_STATE_SUSPENDED, "CONSORTIUM_NOT_SUSPENDED",
                       "only a suspended consortium can be resumed");
      !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::ConsortiumResumed* resumed = event.mutable_consortium_resumed();
  resumed->set_consortium_id(request.consortium_id());
  resumed->set_reason(request.reason());
  *resumed->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideTerminateConsortium(
    const LedgerState& state, const v1::ChangeConsortiumStateRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  if (absl::Status s = RequireNotClosed(*consortium, "it cannot be terminated again"); !s.ok()) {
    return s;
  }
  v1::Event event;
  v1::ConsortiumTerminated* terminated = event.mutable_consortium_terminated();
  terminated->set_consortium_id(request.consortium_id());
  terminated->set_reason(request.reason());
  *terminated->mutable_occurred_at() = request.occurred_at();
  return event;
}

absl::StatusOr<v1::Event> DecideCompleteConsortium(
    const LedgerState& state, const v1::ChangeConsortiumStateRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  if (absl::Status s = RequireActive(*consortium, "only an active consortium completes its term");
      !s.ok()) {
    return s;
  }
  const absl::Time occurred_at = absl::FromUnixSeconds(request.occurred_at().seconds());
  const int64_t year = absl::ToCivilYear(occurred_at, absl::UTCTimeZone()).year();
  if (year < consortium->term_last_year()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "TERM_NOT_OVER",
                  absl::StrCat("consortium ", consortium->consortium_id(), "'s term runs to ",
                               consortium->term_last_year(), "; it cannot complete in ", year,
                               " (terminate it to end it early)"),
                  {{"consortium_id", consortium->consortium_id()},
                   {"term_last_year", absl::StrCat(consortium->term_last_year())},
                   {"year", absl::StrCat(year)}});
  }
  v1::Event event;
  v1::ConsortiumCompleted* completed = event.mutable_consortium_completed();
  completed->set_consortium_id(request.consortium_id());
  *completed->mutable_occurred_at() = request.occurred_at();
  return event;
}

}  // namespace alliance::domain
