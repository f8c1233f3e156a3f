// Funding (funding.h): agreements, payments and their reversals, rules 3
// and 6.
#include "services/domain/funding.h"

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "proto/errors/refusal.h"
#include "services/domain/command_row.h"
#include "services/domain/rule_keys.h"
#include "services/domain/rules.h"
#include "services/domain/validation.h"

namespace alliance::domain {
namespace {

// Agencies' payment references are short codes; this leaves room for any.
constexpr size_t kPaymentReferenceMax = 128;

// One payment, its fields named under `path` ("disbursement",
// "disbursements[3]").
absl::Status ValidateFunds(absl::string_view path, const v1::FundsDisbursed& funds) {
  if (absl::Status s = CheckId(absl::StrCat(path, ".consortium_id"), funds.consortium_id());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckYear(absl::StrCat(path, ".program_year"), funds.program_year());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckAmountKrw(absl::StrCat(path, ".amount_krw"), funds.amount_krw());
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckText(absl::StrCat(path, ".payment_reference"), funds.payment_reference(),
                    /*required=*/true, kPaymentReferenceMax);
      !s.ok()) {
    return s;
  }
  return CheckTimestamp(absl::StrCat(path, ".occurred_at"), funds.has_occurred_at(),
                        funds.occurred_at());
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

}  // namespace

// ---- Validation -------------------------------------------------------------------

absl::Status ValidateSignAgreement(const v1::SignAgreementRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_agreement()) return MissingField("agreement");
  const v1::AgreementSigned& agreement = request.agreement();
  if (absl::Status s = CheckId("agreement.consortium_id", agreement.consortium_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckYear("agreement.program_year", agreement.program_year()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckAmountKrw("agreement.grant_krw", agreement.grant_krw()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("agreement.agreement_reference", agreement.agreement_reference(),
                                 /*required=*/false);
      !s.ok()) {
    return s;
  }
  return CheckTimestamp("agreement.occurred_at", agreement.has_occurred_at(),
                        agreement.occurred_at());
}

absl::Status ValidateAmendAgreement(const v1::AmendAgreementRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (absl::Status s = CheckId("consortium_id", request.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckYear("program_year", request.program_year()); !s.ok()) return s;
  if (absl::Status s = CheckAmountKrw("grant_krw", request.grant_krw()); !s.ok()) return s;
  if (absl::Status s = CheckText("reason", request.reason(), /*required=*/true); !s.ok()) return s;
  return CheckTimestamp("occurred_at", request.has_occurred_at(), request.occurred_at());
}

absl::Status ValidateDisburseFunds(const v1::DisburseFundsRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_disbursement()) return MissingField("disbursement");
  return ValidateFunds("disbursement", request.disbursement());
}

absl::Status ValidateDisburseFundsBatch(const v1::DisburseFundsBatchRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (request.disbursements_size() == 0) return MissingField("disbursements");
  if (request.disbursements_size() > static_cast<int>(kBatchDisbursementsMax)) {
    return InvalidField(
        "disbursements",
        absl::StrCat("must list at most ", kBatchDisbursementsMax, " payments (got ",
                     request.disbursements_size(), "); split the run into several requests"));
  }
  const std::string& consortium_id = request.disbursements(0).consortium_id();
  absl::flat_hash_map<absl::string_view, int> index_of_reference;
  for (int i = 0; i < request.disbursements_size(); ++i) {
    const std::string path = absl::StrCat("disbursements[", i, "]");
    const v1::FundsDisbursed& funds = request.disbursements(i);
    if (absl::Status s = ValidateFunds(path, funds); !s.ok()) return s;
    if (funds.consortium_id() != consortium_id) {
      return InvalidField(
          absl::StrCat(path, ".consortium_id"),
          absl::StrCat("\"", funds.consortium_id(),
                       "\" differs from disbursements[0].consortium_id \"", consortium_id,
                       "\"; a payment run pays one consortium (send one request "
                       "per consortium)"));
    }
    auto [it, inserted] = index_of_reference.emplace(funds.payment_reference(), i);
    if (!inserted) {
      return InvalidField(absl::StrCat(path, ".payment_reference"),
                          absl::StrCat("\"", funds.payment_reference(),
                                       "\" is already the reference of disbursements[", it->second,
                                       "]; one reference, one payment"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateReverseDisbursement(const v1::ReverseDisbursementRequest& request) {
  return CheckCorrection(request);
}

// ---- Rules --------------------------------------------------------------------------

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

// ---- The rows ----------------------------------------------------------------

namespace {

// A payment run is one command, so it must fit in one command's events.
static_assert(kBatchDisbursementsMax <= kCommandEventsMax,
              "a DisburseFundsBatch must fit in one command's events");

std::string SignAgreementStream(const v1::SignAgreementRequest& r) {
  return ConsortiumStreamId(r.agreement().consortium_id());
}
std::string DisburseFundsStream(const v1::DisburseFundsRequest& r) {
  return ConsortiumStreamId(r.disbursement().consortium_id());
}
// An empty run has no stream; validation refuses it before the stream is used.
std::string DisburseFundsBatchStream(const v1::DisburseFundsBatchRequest& r) {
  if (r.disbursements().empty()) return "";
  return ConsortiumStreamId(r.disbursements(0).consortium_id());
}

}  // namespace

const std::vector<CommandSpec>& FundingCommands() {
  static const std::vector<CommandSpec>* const rows = new std::vector<CommandSpec>{
      Row<v1::SignAgreementRequest, SignAgreementStream, ValidateSignAgreement,
          DecideSignAgreement>("SignAgreement", kByManagingAgency),
      Row<v1::AmendAgreementRequest, FlatStream<v1::AmendAgreementRequest>, ValidateAmendAgreement,
          DecideAmendAgreement>("AmendAgreement", kByManagingAgency),
      Row<v1::DisburseFundsRequest, DisburseFundsStream, ValidateDisburseFunds,
          DecideDisburseFunds>("DisburseFunds", kByManagingAgency),
      Row<v1::DisburseFundsBatchRequest, DisburseFundsBatchStream, ValidateDisburseFundsBatch,
          DecideDisburseFundsBatch>("DisburseFundsBatch", kByManagingAgency),
      Row<v1::ReverseDisbursementRequest, FlatStream<v1::ReverseDisbursementRequest>,
          ValidateReverseDisbursement, DecideReverseDisbursement>("ReverseDisbursement",
                                                                  kByManagingAgency),
  };
  return *rows;
}

}  // namespace alliance::domain
