// Funding (services/domain/funding.h), given/when/then. Validation: each
// bad request refused with INVALID_ARGUMENT naming the field. Rules: given
// earlier events, when a command, then this event or this refusal, one
// test a reason in the order funding.h lists them; the rule indexes on
// "disk"; and what the fold makes of agreements and payments.
#include "services/domain/funding.h"

#include <map>
#include <string>
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

// ---- payments -------------------------------------------------------------------------------

TEST(Validate, PaymentReference_IsRequired) {
  v1::DisburseFundsRequest request = WithMeta(Disbursement(kChungnam, 2023, 1, ""));
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDisburseFunds(request), kMissing, "disbursement.payment_reference"));
}

// ---- reversal ---------------------------------------------------------------------------------

TEST(Validate, Reversal_NamesTheCorrectedEventAndWhy) {
  v1::ReverseDisbursementRequest request = WithMeta(Reversal("KIAT-1"));
  EXPECT_TRUE(IsFieldRefusal(ValidateReverseDisbursement(request), kInvalid, "corrects_event_id"));
  request = WithMeta(Reversal(EventIdFor(1)));
  request.clear_reason();
  EXPECT_TRUE(IsFieldRefusal(ValidateReverseDisbursement(request), kMissing, "reason"));
}

TEST(Validate, Reversal_CorrectsEventIdMayNameEventIOfAMultiEventCommand) {
  const std::string uuid = EventIdFor(1);
  for (const std::string& good : {uuid, uuid + "#1", uuid + "#5", uuid + "#42", uuid + "#999"}) {
    absl::Status status = ValidateReverseDisbursement(WithMeta(Reversal(good)));
    EXPECT_TRUE(status.ok()) << good << ": " << status;
  }
  // #0 is the command's own id; no leading zeros, signs or spaces; an index
  // a command cannot reach; not a UUID before the '#'.
  for (const std::string& bad :
       {uuid + "#", uuid + "#0", uuid + "#05", uuid + "#+5", uuid + "# 5", uuid + "#5a",
        uuid + "#1000", uuid + "#99999999999999999999", uuid + "#1#2", std::string("KIAT-1#1"),
        std::string("#1"), EventIdFor(1).substr(1) + "#1"}) {
    EXPECT_TRUE(IsFieldRefusal(ValidateReverseDisbursement(WithMeta(Reversal(bad))), kInvalid,
                               "corrects_event_id"))
        << bad;
  }
}

// ---- payment runs -----------------------------------------------------------------------------

TEST(Validate, Batch_OneToTheMaximumOfPaymentsIsValid) {
  EXPECT_TRUE(ValidateDisburseFundsBatch(WithMeta(PaymentRun(kChungnam, 2023, {1}, "R"))).ok());
  std::vector<int64_t> amounts(kBatchDisbursementsMax, 1);
  EXPECT_TRUE(ValidateDisburseFundsBatch(WithMeta(PaymentRun(kChungnam, 2023, amounts, "R"))).ok());
  amounts.push_back(1);
  EXPECT_TRUE(IsFieldRefusal(
      ValidateDisburseFundsBatch(WithMeta(PaymentRun(kChungnam, 2023, amounts, "R"))), kInvalid,
      "disbursements"));
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFundsBatch(WithMeta(v1::DisburseFundsBatchRequest())),
                             kMissing, "disbursements"));
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFundsBatch(PaymentRun(kChungnam, 2023, {1}, "R")),
                             kMissing, "meta.event_id"));
}

TEST(Validate, Batch_EachPaymentValidatedAsOneWithItsIndexInThePath) {
  v1::DisburseFundsBatchRequest request = WithMeta(PaymentRun(kChungnam, 2023, {1, 2, 3}, "R"));
  request.mutable_disbursements(1)->set_amount_krw(-5);
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDisburseFundsBatch(request), kInvalid, "disbursements[1].amount_krw"));
  request = WithMeta(PaymentRun(kChungnam, 2023, {1, 2, 3}, "R"));
  request.mutable_disbursements(2)->set_program_year(1999);
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFundsBatch(request), kInvalid,
                             "disbursements[2].program_year"));
  request = WithMeta(PaymentRun(kChungnam, 2023, {1, 2, 3}, "R"));
  request.mutable_disbursements(0)->clear_occurred_at();
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFundsBatch(request), kMissing,
                             "disbursements[0].occurred_at"));
  request = WithMeta(PaymentRun(kChungnam, 2023, {1, 2, 3}, "R"));
  request.mutable_disbursements(1)->clear_payment_reference();
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFundsBatch(request), kMissing,
                             "disbursements[1].payment_reference"));
}

TEST(Validate, Batch_PaysOneConsortium) {
  v1::DisburseFundsBatchRequest request = WithMeta(PaymentRun(kChungnam, 2023, {1, 2, 3}, "R"));
  request.mutable_disbursements(2)->set_consortium_id(std::string(kUlsan));
  absl::Status status = ValidateDisburseFundsBatch(request);
  EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "disbursements[2].consortium_id"));
  EXPECT_TRUE(Contains(status, kChungnam)) << status;
}

TEST(Validate, Batch_PaymentReferencesAreUniqueWithinTheRequest) {
  v1::DisburseFundsBatchRequest request = WithMeta(PaymentRun(kChungnam, 2023, {1, 2, 3}, "R"));
  request.mutable_disbursements(2)->set_payment_reference("R-0");
  absl::Status status = ValidateDisburseFundsBatch(request);
  EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "disbursements[2].payment_reference"));
  EXPECT_TRUE(Contains(status, "disbursements[0]")) << status;
}

// ---- agreements -------------------------------------------------------------------------------

TEST(Validate, SignAgreement) {
  using R = v1::SignAgreementRequest;
  ExpectRefusals<R>(ValidateSignAgreement, WithMeta(Agreement2023()),
                    {
                        {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
                        {[](R* r) { r->clear_agreement(); }, kMissing, "agreement"},
                        {[](R* r) { r->mutable_agreement()->clear_consortium_id(); }, kMissing,
                         "agreement.consortium_id"},
                        {[](R* r) { r->mutable_agreement()->set_consortium_id("충남"); }, kInvalid,
                         "agreement.consortium_id"},
                        {[](R* r) { r->mutable_agreement()->clear_program_year(); }, kMissing,
                         "agreement.program_year"},
                        {[](R* r) { r->mutable_agreement()->set_program_year(1999); }, kInvalid,
                         "agreement.program_year"},
                        {[](R* r) { r->mutable_agreement()->clear_grant_krw(); }, kMissing,
                         "agreement.grant_krw"},
                        {[](R* r) { r->mutable_agreement()->set_grant_krw(-1); }, kInvalid,
                         "agreement.grant_krw"},
                        {[](R* r) { r->mutable_agreement()->set_grant_krw(kAmountKrwMax + 1); },
                         kInvalid, "agreement.grant_krw"},
                        {[](R* r) { r->mutable_agreement()->set_agreement_reference(kTooLong); },
                         kInvalid, "agreement.agreement_reference"},
                        {[](R* r) { r->mutable_agreement()->set_agreement_reference("\xff"); },
                         kInvalid, "agreement.agreement_reference"},
                        {[](R* r) { r->mutable_agreement()->clear_occurred_at(); }, kMissing,
                         "agreement.occurred_at"},
                    });
  R request = WithMeta(Agreement2023());
  request.mutable_agreement()->clear_agreement_reference();  // optional
  request.mutable_agreement()->set_grant_krw(kAmountKrwMax);
  EXPECT_TRUE(ValidateSignAgreement(request).ok());
}

TEST(Validate, AmendAgreement) {
  using R = v1::AmendAgreementRequest;
  ExpectRefusals<R>(ValidateAmendAgreement, WithMeta(Amendment2023()),
                    {
                        {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
                        {[](R* r) { r->clear_consortium_id(); }, kMissing, "consortium_id"},
                        {[](R* r) { r->set_consortium_id("-x"); }, kInvalid, "consortium_id"},
                        {[](R* r) { r->clear_program_year(); }, kMissing, "program_year"},
                        {[](R* r) { r->set_program_year(2101); }, kInvalid, "program_year"},
                        {[](R* r) { r->clear_grant_krw(); }, kMissing, "grant_krw"},
                        {[](R* r) { r->set_grant_krw(-1'000); }, kInvalid, "grant_krw"},
                        {[](R* r) { r->set_grant_krw(kAmountKrwMax + 1); }, kInvalid, "grant_krw"},
                        {[](R* r) { r->clear_reason(); }, kMissing, "reason"},
                        {[](R* r) { r->set_reason(kTooLong); }, kInvalid, "reason"},
                        {[](R* r) { r->clear_occurred_at(); }, kMissing, "occurred_at"},
                    });
}

}  // namespace
}  // namespace alliance::domain::testing::validation

// ---- Rules --------------------------------------------------------------------------

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

// The second program (kProgram2025) as the agreements' tests see it: its
// consortium limit (3.0 billion) is below its term (3 years) times its
// annual limit (1.2 billion), so the grants of all years can break the
// consortium limit with every grant under the annual one; and with 2
// enterprises required and Seoul excluded, Daegu's consortium of 2 is
// selected. (Apart from lifecycle_fixture.h's Rules2025: each came with its
// own test file.)
constexpr absl::string_view kDaegu = "daegu-robotics";

v1::ProgramRules DaeguRules2025() {
  v1::ProgramRules rules;
  rules.set_first_year(2025);
  rules.set_last_year(2027);
  rules.set_total_budget_krw(9'000'000'000);
  rules.set_consortium_limit_krw(3'000'000'000);
  rules.set_consortium_annual_limit_krw(1'200'000'000);
  rules.set_consortium_term_years(3);
  rules.set_min_midsized_enterprises(2);
  rules.add_excluded_region_codes("KR-11");
  rules.set_hiring_target(12);
  return rules;
}

// Program 2025 with Daegu's consortium selected into its 2025 round.
void Given2025(Ledger& ledger) {
  ledger.Given(Program(kProgram2025, DaeguRules2025()));
  ledger.Given(Round(2025, 3, kProgram2025));
  v1::SelectConsortiumRequest daegu = Hypothetical(kDaegu, "KR-27");
  daegu.mutable_selection()->set_program_id(std::string(kProgram2025));
  daegu.mutable_selection()->set_round_year(2025);
  ledger.Given(daegu);
}

// ---- SignAgreement -------------------------------------------------------------------

TEST(SignAgreement, Agreement_SetsTheYearsCommitment) {
  Ledger ledger;
  ledger.Given2023();
  ASSERT_TRUE(ledger.Record(Agreement(kChungnam, 2023, 1'000'000'000)).ok());
  const v1::YearFunding& year =
      ledger.state().consortia.at(std::string(kChungnam)).funding_by_year(0);
  EXPECT_EQ(year.committed_krw(), 1'000'000'000);
  EXPECT_EQ(year.remaining_commitment_krw(), 1'000'000'000);
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement(kChungnam, 2023, 1'000'000'001, "C-1")).status(),
                        StatusCode::kFailedPrecondition, "COMMITMENT_EXCEEDED"));
}

TEST(SignAgreement, Agreement_AcceptedAsAgreementSigned_AndShownInTheYear) {
  Ledger ledger;
  ledger.Given2023();
  absl::StatusOr<v1::EventEnvelope> event =
      ledger.Record(Agreement(kChungnam, 2024, 1'200'000'000));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "AgreementSigned");
  EXPECT_EQ(event->stream_id(), "consortium-" + kChungnamId);
  const v1::AgreementSigned& signed_ = event->payload().agreement_signed();
  EXPECT_EQ(signed_.consortium_id(), kChungnamId);
  EXPECT_EQ(signed_.program_year(), 2024);
  EXPECT_EQ(signed_.grant_krw(), 1'200'000'000);
  EXPECT_EQ(signed_.agreement_reference(), "KIAT-2024-" + kChungnamId);

  const v1::YearFunding& year = YearIn(ConsortiumIn(ledger, kChungnam), 2024);
  EXPECT_TRUE(year.agreement_signed());
  EXPECT_EQ(year.agreement_reference(), "KIAT-2024-" + kChungnamId);
  EXPECT_EQ(year.agreement_event_id(), event->event_id());
  EXPECT_EQ(year.agreement_signed_at().seconds(), signed_.occurred_at().seconds());
  EXPECT_EQ(year.committed_krw(), 1'200'000'000);
  EXPECT_EQ(year.amendment_count(), 0);
  // The other years stay unsigned.
  EXPECT_FALSE(YearIn(ConsortiumIn(ledger, kChungnam), 2023).agreement_signed());
}

TEST(SignAgreement, Agreement_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.Record(Agreement("nowhere", 2023)).status(), StatusCode::kNotFound,
                        "CONSORTIUM_NOT_FOUND", {{"consortium_id", "nowhere"}}));
}

TEST(SignAgreement, Agreement_RefusedWhenConsortiumNotActive) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  GivenState(ledger, StateCommand::kTerminate, StateChange(kGyeongnam));
  EXPECT_TRUE(IsRefusal(ledger.Record(Agreement(kChungnam, 2023)).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
                        {{"consortium_id", kChungnamId},
                         {"state", "CONSORTIUM_STATE_SUSPENDED"},
                         {"required_state", "CONSORTIUM_STATE_ACTIVE"}}));
  EXPECT_TRUE(IsRefusal(ledger.Record(Agreement(kGyeongnam, 2023)).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
                        {{"state", "CONSORTIUM_STATE_TERMINATED"}}));
}

TEST(SignAgreement, Agreement_RefusedWhenYearOutsideTheTerm) {
  Ledger ledger;
  ledger.Given2023();
  // Chungnam's term is 2023..2027; 2028 is in the program but not the term.
  for (int32_t year : {2022, 2028}) {
    EXPECT_TRUE(IsRefusal(ledger.Record(Agreement(kChungnam, year)).status(),
                          StatusCode::kFailedPrecondition, "PROGRAM_YEAR_OUTSIDE_TERM",
                          {{"consortium_id", kChungnamId},
                           {"program_year", std::to_string(year)},
                           {"term_first_year", "2023"},
                           {"term_last_year", "2027"}}));
  }
}

TEST(SignAgreement, Agreement_NotActiveIsCheckedBeforeTheYear) {
  Ledger ledger;
  ledger.Given2023();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  EXPECT_TRUE(IsRefusal(ledger.Record(Agreement(kChungnam, 2028)).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE"));
}

TEST(SignAgreement, Agreement_RefusedWhenTheYearIsSigned) {
  Ledger ledger;
  ledger.Given2023();
  v1::EventEnvelope first = ledger.Given(Agreement(kChungnam, 2023, 1'000'000'000));
  absl::Status status = ledger.Record(Agreement(kChungnam, 2023, 900'000'000)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kAlreadyExists, "AGREEMENT_ALREADY_SIGNED",
                        {{"consortium_id", kChungnamId},
                         {"program_year", "2023"},
                         {"original_event_id", first.event_id()}}));
  EXPECT_NE(status.message().find("1,000,000,000 KRW"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("AmendAgreement"), absl::string_view::npos) << status;
}

TEST(SignAgreement, Agreement_RefusedWhenGrantOverTheAnnualLimit) {
  Ledger ledger;
  ledger.Given2023();
  absl::Status status = ledger.Record(Agreement(kChungnam, 2023, 1'380'000'001)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "GRANT_OVER_ANNUAL_LIMIT",
                        {{"consortium_id", kChungnamId},
                         {"program_year", "2023"},
                         {"grant_krw", "1380000001"},
                         {"limit_krw", "1380000000"}}));
  EXPECT_EQ(status.message(),
            "a 2023 grant of 1,380,000,001 KRW is over the annual limit of 1,380,000,000 KRW");
  EXPECT_TRUE(ledger.Record(Agreement(kChungnam, 2023, 1'380'000'000)).ok());
}

TEST(SignAgreement, Agreement_RefusedWhenTheGrantsOfAllYearsPassTheConsortiumLimit) {
  Ledger ledger;
  Given2025(ledger);
  ledger.Given(Agreement(kDaegu, 2025, 1'200'000'000));
  ledger.Given(Agreement(kDaegu, 2026, 1'200'000'000));
  absl::Status status = ledger.Record(Agreement(kDaegu, 2027, 600'000'001)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "GRANT_OVER_CONSORTIUM_LIMIT",
                        {{"consortium_id", std::string(kDaegu)},
                         {"program_year", "2027"},
                         {"grant_krw", "600000001"},
                         {"would_be_krw", "3000000001"},
                         {"limit_krw", "3000000000"}}));
  EXPECT_EQ(status.message(),
            "the grants of consortium daegu-robotics's agreements would total 3,000,000,001 KRW, "
            "over its limit of 3,000,000,000 KRW");
  EXPECT_TRUE(ledger.Record(Agreement(kDaegu, 2027, 600'000'000)).ok());
}

// ---- AmendAgreement -------------------------------------------------------------------

TEST(AmendAgreement, Amendment_AcceptedWithThePreviousGrantAndTheEventItCorrects) {
  Ledger ledger;
  ledger.Given2023();
  v1::EventEnvelope signed_ = ledger.Given(Agreement(kChungnam, 2023, 1'000'000'000));
  absl::StatusOr<v1::EventEnvelope> first =
      ledger.Record(Amendment(kChungnam, 2023, 1'200'000'000));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->event_type(), "AgreementAmended");
  const v1::AgreementAmended& amended = first->payload().agreement_amended();
  EXPECT_EQ(amended.consortium_id(), kChungnamId);
  EXPECT_EQ(amended.program_year(), 2023);
  EXPECT_EQ(amended.grant_krw(), 1'200'000'000);
  EXPECT_EQ(amended.previous_grant_krw(), 1'000'000'000);
  EXPECT_EQ(amended.corrects_event_id(), signed_.event_id());
  EXPECT_EQ(amended.reason(), "budget reallocated");

  // A second amendment corrects the first, not the signature.
  absl::StatusOr<v1::EventEnvelope> second = ledger.Record(Amendment(kChungnam, 2023, 800'000'000));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->payload().agreement_amended().previous_grant_krw(), 1'200'000'000);
  EXPECT_EQ(second->payload().agreement_amended().corrects_event_id(), first->event_id());

  const v1::YearFunding& year = YearIn(ConsortiumIn(ledger, kChungnam), 2023);
  EXPECT_EQ(year.committed_krw(), 800'000'000);
  EXPECT_EQ(year.remaining_commitment_krw(), 800'000'000);
  EXPECT_EQ(year.amendment_count(), 2);
  EXPECT_EQ(year.agreement_event_id(), second->event_id());
  EXPECT_TRUE(year.agreement_signed());
  // The agreement's reference and date stay those of the signature.
  EXPECT_EQ(year.agreement_reference(), "KIAT-2023-" + kChungnamId);
}

TEST(AmendAgreement, Amendment_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.Record(Amendment("nowhere", 2023, 1'000)).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "nowhere"}}));
}

TEST(AmendAgreement, Amendment_RefusedWhenTheYearHasNoAgreement) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023));
  // 2024 is in the term but unsigned; 2028 is outside the term.
  for (int32_t year : {2024, 2028}) {
    EXPECT_TRUE(
        IsRefusal(ledger.Record(Amendment(kChungnam, year, 1'000)).status(), StatusCode::kNotFound,
                  "AGREEMENT_NOT_FOUND",
                  {{"consortium_id", kChungnamId}, {"program_year", std::to_string(year)}}));
  }
}

TEST(AmendAgreement, Amendment_OfAClosedConsortiumMayOnlyLowerTheGrant) {
  for (StateCommand close : {StateCommand::kTerminate, StateCommand::kComplete}) {
    Ledger ledger;
    ledger.Given2023();
    ledger.Given(Agreement(kChungnam, 2027, 1'000'000'000));
    GivenState(ledger, close, StateChange(kChungnam, kInLastTermYear));
    const std::string state = close == StateCommand::kTerminate ? "CONSORTIUM_STATE_TERMINATED"
                                                                : "CONSORTIUM_STATE_COMPLETED";
    absl::Status status = ledger.Record(Amendment(kChungnam, 2027, 1'000'000'001)).status();
    EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
                          {{"consortium_id", kChungnamId}, {"state", state}}));
    EXPECT_NE(status.message().find("1,000,000,001 KRW"), absl::string_view::npos) << status;
    // Unchanged or lower is allowed: what was not spent is given back.
    EXPECT_TRUE(ledger.Record(Amendment(kChungnam, 2027, 1'000'000'000)).ok());
    EXPECT_TRUE(ledger.Record(Amendment(kChungnam, 2027, 400'000'000)).ok());
  }
}

TEST(AmendAgreement, Amendment_OfASuspendedConsortiumMayLowerButNotRaiseTheGrant) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023, 1'000'000'000));
  ASSERT_TRUE(ledger.RecordState(StateCommand::kSuspend, StateChange(kChungnam)).ok());
  absl::Status status = ledger.Record(Amendment(kChungnam, 2023, 1'000'000'001)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
                        {{"state", "CONSORTIUM_STATE_SUSPENDED"}}));
  EXPECT_NE(status.message().find("may be lowered"), absl::string_view::npos) << status;
  EXPECT_TRUE(ledger.Record(Amendment(kChungnam, 2023, 900'000'000)).ok());
  ASSERT_TRUE(ledger.RecordState(StateCommand::kResume, StateChange(kChungnam)).ok());
  EXPECT_TRUE(ledger.Record(Amendment(kChungnam, 2023, 1'000'000'000)).ok());
}

TEST(AmendAgreement, Amendment_RefusedBelowWhatWasDisbursed) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023, 1'000'000'000));
  ledger.Given(Disbursement(kChungnam, 2023, 500'000'000, "C-1"));
  absl::Status status = ledger.Record(Amendment(kChungnam, 2023, 499'999'999)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "GRANT_BELOW_DISBURSED",
                        {{"consortium_id", kChungnamId},
                         {"program_year", "2023"},
                         {"grant_krw", "499999999"},
                         {"disbursed_krw", "500000000"}}));
  EXPECT_EQ(status.message(),
            "a 2023 grant of 499,999,999 KRW is below the 500,000,000 KRW already disbursed for "
            "the year; reverse payments first");
  EXPECT_TRUE(ledger.Record(Amendment(kChungnam, 2023, 500'000'000)).ok());
}

TEST(AmendAgreement, Amendment_RefusedOverTheAnnualLimit) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023, 1'000'000'000));
  absl::Status status = ledger.Record(Amendment(kChungnam, 2023, 1'380'000'001)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "GRANT_OVER_ANNUAL_LIMIT",
                        {{"grant_krw", "1380000001"}, {"limit_krw", "1380000000"}}));
  EXPECT_EQ(status.message(),
            "a 2023 grant of 1,380,000,001 KRW is over the annual limit of 1,380,000,000 KRW");
}

TEST(AmendAgreement, Amendment_RefusedWhenTheGrantsOfAllYearsPassTheConsortiumLimit) {
  Ledger ledger;
  Given2025(ledger);
  ledger.Given(Agreement(kDaegu, 2025, 1'200'000'000));
  ledger.Given(Agreement(kDaegu, 2026, 1'200'000'000));
  ledger.Given(Agreement(kDaegu, 2027, 500'000'000));
  // The year's own grant is replaced, not added: 1.2 + 1.2 + 0.6 = 3.0 fits.
  EXPECT_TRUE(ledger.Record(Amendment(kDaegu, 2027, 600'000'000)).ok());
  absl::Status status = ledger.Record(Amendment(kDaegu, 2027, 600'000'001)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "GRANT_OVER_CONSORTIUM_LIMIT",
                        {{"program_year", "2027"},
                         {"grant_krw", "600000001"},
                         {"would_be_krw", "3000000001"},
                         {"limit_krw", "3000000000"}}));
  EXPECT_NE(status.message().find("3,000,000,001 KRW"), absl::string_view::npos) << status;
}

// ---- DisburseFunds (rule 3) ----------------------------------------------------------------

TEST(DisburseFunds, Disbursement_AcceptedAsFundsDisbursed) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  absl::StatusOr<v1::EventEnvelope> event =
      ledger.Record(Disbursement(kChungnam, 2023, 690'000'000, "KIAT-2023-0001"));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->payload().funds_disbursed().amount_krw(), 690'000'000);
}

TEST(DisburseFunds, Disbursement_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement("nowhere", 2023, 1, "R-1")).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND"));
}

TEST(DisburseFunds, Disbursement_RefusedWhenYearOutsideTheConsortiumsTerm) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  // Selected in 2023 for 5 years: 2023..2027. 2028 is in the program period
  // but past the term; 2022 is before both.
  for (int year : {2022, 2028}) {
    EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement(kChungnam, year, 1, "R-1")).status(),
                          StatusCode::kFailedPrecondition, "PROGRAM_YEAR_OUTSIDE_TERM",
                          {{"program_year", std::to_string(year)},
                           {"term_first_year", "2023"},
                           {"term_last_year", "2027"}}));
  }
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2027, 1, "R-1")).ok());
}

TEST(DisburseFunds, Disbursement_RefusedWhenYearTotalWouldExceedAnnualLimit) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  ledger.Given(Disbursement(kChungnam, 2023, 1'000'000'000, "KIAT-2023-0001"));
  absl::Status status =
      ledger.Record(Disbursement(kChungnam, 2023, 450'000'000, "KIAT-2023-0002")).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "ANNUAL_LIMIT_EXCEEDED",
                        {{"program_year", "2023"},
                         {"disbursed_krw", "1000000000"},
                         {"amount_krw", "450000000"},
                         {"would_be_krw", "1450000000"},
                         {"limit_krw", "1380000000"}}));
  EXPECT_EQ(status.message(), "2023 total would be 1,450,000,000 KRW, limit 1,380,000,000 KRW");
}

TEST(DisburseFunds, Disbursement_AcceptedWhenYearTotalIsExactlyTheAnnualLimit) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  ledger.Given(Disbursement(kChungnam, 2023, 1'000'000'000, "KIAT-2023-0001"));
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2023, 380'000'000, "KIAT-2023-0002")).ok());
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement(kChungnam, 2023, 1, "KIAT-2023-0003")).status(),
                        StatusCode::kFailedPrecondition, "ANNUAL_LIMIT_EXCEEDED"));
  // Another year, another consortium: their own limits.
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2024, kAnnualLimit2023Krw, "R-2024")).ok());
  EXPECT_TRUE(ledger.Record(Disbursement(kUlsan, 2023, kAnnualLimit2023Krw, "R-2023")).ok());
}

TEST(DisburseFunds, Disbursement_FullTermAtTheAnnualLimitReachesTheConsortiumLimitExactly) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  for (int year = 2023; year <= 2027; ++year) {
    EXPECT_TRUE(
        ledger
            .Record(Disbursement(kChungnam, year, kAnnualLimit2023Krw, "R-" + std::to_string(year)))
            .ok());
  }
  EXPECT_EQ(ledger.state().consortia.at(std::string(kChungnam)).disbursed_total_krw(),
            kConsortiumLimit2023Krw);
}

TEST(DisburseFunds, Disbursement_RefusedWhenRunningTotalWouldExceedConsortiumLimit) {
  Ledger ledger;
  ledger.Given(Program(kProgram2025, Rules2025()));
  ledger.Given(Round(2025, 3, kProgram2025));
  ledger.Given(In2025(Hypothetical("daejeon-quantum", "KR-30", 3)));
  // 1.2B + 1.2B + 0.6B: the grants of the term reach the 3.0B limit.
  ledger.Given(Agreement("daejeon-quantum", 2025, 1'200'000'000));
  ledger.Given(Agreement("daejeon-quantum", 2026, 1'200'000'000));
  ledger.Given(Agreement("daejeon-quantum", 2027, 600'000'000));
  ledger.Given(Disbursement("daejeon-quantum", 2025, 1'200'000'000, "R-2025"));
  ledger.Given(Disbursement("daejeon-quantum", 2026, 1'200'000'000, "R-2026"));
  absl::Status status =
      ledger.Record(Disbursement("daejeon-quantum", 2027, 650'000'000, "R-2027")).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "CONSORTIUM_LIMIT_EXCEEDED",
                        {{"disbursed_krw", "2400000000"},
                         {"amount_krw", "650000000"},
                         {"would_be_krw", "3050000000"},
                         {"limit_krw", "3000000000"}}));
  EXPECT_EQ(status.message(), "running total would be 3,050,000,000 KRW, limit 3,000,000,000 KRW");
}

TEST(DisburseFunds, Disbursement_AcceptedWhenRunningTotalIsExactlyTheConsortiumLimit) {
  Ledger ledger;
  ledger.Given(Program(kProgram2025, Rules2025()));
  ledger.Given(Round(2025, 3, kProgram2025));
  ledger.Given(In2025(Hypothetical("daejeon-quantum", "KR-30", 3)));
  // 1.2B + 1.2B + 0.6B: the grants of the term reach the 3.0B limit.
  ledger.Given(Agreement("daejeon-quantum", 2025, 1'200'000'000));
  ledger.Given(Agreement("daejeon-quantum", 2026, 1'200'000'000));
  ledger.Given(Agreement("daejeon-quantum", 2027, 600'000'000));
  ledger.Given(Disbursement("daejeon-quantum", 2025, 1'200'000'000, "R-2025"));
  ledger.Given(Disbursement("daejeon-quantum", 2026, 1'200'000'000, "R-2026"));
  EXPECT_TRUE(ledger.Record(Disbursement("daejeon-quantum", 2027, 600'000'000, "R-2027")).ok());
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement("daejeon-quantum", 2027, 1, "R-X")).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_LIMIT_EXCEEDED"));
}

TEST(DisburseFunds, Disbursement_RefusedWhenPaymentReferenceAlreadyUsed) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope first = ledger.Given(Disbursement(kChungnam, 2023, 100, "KIAT-2023-0001"));
  // The same payment sent again, even for another year or amount.
  absl::Status status =
      ledger.Record(Disbursement(kChungnam, 2024, 200, "KIAT-2023-0001")).status();
  EXPECT_TRUE(IsRefusal(
      status, StatusCode::kAlreadyExists, "PAYMENT_REFERENCE_ALREADY_USED",
      {{"payment_reference", "KIAT-2023-0001"}, {"original_event_id", first.event_id()}}));
  EXPECT_NE(status.message().find(first.event_id()), absl::string_view::npos);
  EXPECT_NE(status.message().find("one reference, one payment"), absl::string_view::npos);
  // References are unique within a consortium, not across consortia.
  EXPECT_TRUE(ledger.Record(Disbursement(kUlsan, 2023, 100, "KIAT-2023-0001")).ok());
}

TEST(DisburseFunds, Disbursement_ReferenceStaysUsedAfterItsReversal) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope first = ledger.Given(Disbursement(kChungnam, 2023, 100, "KIAT-2023-0001"));
  ledger.Given(Reversal(kChungnam, first.event_id()));
  EXPECT_TRUE(
      IsRefusal(ledger.Record(Disbursement(kChungnam, 2023, 100, "KIAT-2023-0001")).status(),
                StatusCode::kAlreadyExists, "PAYMENT_REFERENCE_ALREADY_USED"));
}

// ---- DisburseFunds: the lifecycle's refusals -------------------------------------------

TEST(DisburseFunds, Disbursement_RefusedWhenConsortiumNotActive) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  GivenState(ledger, StateCommand::kTerminate, StateChange(kGyeongnam));
  GivenState(ledger, StateCommand::kComplete, StateChange(kUlsan, kInLastTermYear));
  const std::map<std::string, std::string> states = {{kChungnamId, "CONSORTIUM_STATE_SUSPENDED"},
                                                     {kGyeongnamId, "CONSORTIUM_STATE_TERMINATED"},
                                                     {kUlsanId, "CONSORTIUM_STATE_COMPLETED"}};
  for (const auto& [consortium_id, state] : states) {
    absl::Status status = ledger.Record(Disbursement(consortium_id, 2023, 1'000, "P-1")).status();
    EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
                          {{"consortium_id", consortium_id},
                           {"state", state},
                           {"required_state", "CONSORTIUM_STATE_ACTIVE"}}));
  }
  // Resumed, it is paid again.
  GivenState(ledger, StateCommand::kResume, StateChange(kChungnam));
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2023, 1'000, "P-1")).ok());
}

TEST(DisburseFunds, Disbursement_YearOutsideTermIsCheckedBeforeTheState) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement(kChungnam, 2028, 1'000, "P-1")).status(),
                        StatusCode::kFailedPrecondition, "PROGRAM_YEAR_OUTSIDE_TERM"));
}

TEST(DisburseFunds, Disbursement_RefusedWithoutAnAgreementForTheYear) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023));
  absl::Status status = ledger.Record(Disbursement(kChungnam, 2024, 1'000, "P-1")).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "NO_AGREEMENT_FOR_YEAR",
                        {{"consortium_id", kChungnamId}, {"program_year", "2024"}}));
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2023, 1'000, "P-1")).ok());
}

TEST(DisburseFunds, Disbursement_RefusedOverTheYearsGrant) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023, 1'000'000'000));
  ledger.Given(Disbursement(kChungnam, 2023, 600'000'000, "P-1"));
  absl::Status status = ledger.Record(Disbursement(kChungnam, 2023, 400'000'001, "P-2")).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "COMMITMENT_EXCEEDED",
                        {{"consortium_id", kChungnamId},
                         {"program_year", "2023"},
                         {"disbursed_krw", "600000000"},
                         {"amount_krw", "400000001"},
                         {"would_be_krw", "1000000001"},
                         {"limit_krw", "1000000000"}}));
  EXPECT_EQ(status.message(),
            "2023 total against the agreement would be 1,000,000,001 KRW, limit 1,000,000,000 KRW");
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2023, 400'000'000, "P-2")).ok());
  EXPECT_EQ(YearIn(ConsortiumIn(ledger, kChungnam), 2023).remaining_commitment_krw(), 0);
}

TEST(DisburseFunds, Disbursement_AnAmendedGrantIsTheNewCommitment) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023, 500'000'000));
  ledger.Given(Amendment(kChungnam, 2023, 700'000'000));
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2023, 700'000'000, "P-1")).ok());
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement(kChungnam, 2023, 1, "P-2")).status(),
                        StatusCode::kFailedPrecondition, "COMMITMENT_EXCEEDED",
                        {{"limit_krw", "700000000"}}));
}

// ---- DisburseFundsBatch (rule 3, a payment run) -------------------------------------------

TEST(DisburseFundsBatch, Batch_AcceptedAsOneFundsDisbursedPerPaymentInOrder) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  absl::StatusOr<std::vector<v1::EventEnvelope>> events =
      ledger.RecordBatch(PaymentRun(kChungnam, 2023, {100, 200, 300}, "RUN"));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 3u);
  for (size_t i = 0; i < events->size(); ++i) {
    const v1::FundsDisbursed& funds = (*events)[i].payload().funds_disbursed();
    EXPECT_EQ(funds.amount_krw(), 100 * static_cast<int64_t>(i + 1));
    EXPECT_EQ(funds.payment_reference(), "RUN-" + std::to_string(i));
  }
  EXPECT_EQ((*events)[1].event_id(), (*events)[0].event_id() + "#1");
  const v1::ConsortiumStatus& chungnam = ledger.state().consortia.at(std::string(kChungnam));
  EXPECT_EQ(chungnam.disbursed_total_krw(), 600);
  EXPECT_EQ(chungnam.funding_by_year(0).disbursement_count(), 3);
}

TEST(DisburseFundsBatch, Batch_EachPaymentCheckedAgainstTheTotalsTheEarlierOnesLeave) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  // Each fits the 2023 limit alone; the second does not after the first.
  absl::Status status =
      ledger.RecordBatch(PaymentRun(kChungnam, 2023, {1'000'000'000, 1'000'000'000}, "RUN"))
          .status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "ANNUAL_LIMIT_EXCEEDED",
                        {{"payment_index", "1"},
                         {"disbursed_krw", "1000000000"},
                         {"would_be_krw", "2000000000"},
                         {"limit_krw", "1380000000"}}));
  // Nothing of the run was recorded.
  EXPECT_EQ(ledger.state().consortia.at(std::string(kChungnam)).disbursed_total_krw(), 0);
  EXPECT_TRUE(ledger.state().pending_rule_entries.empty());
}

TEST(DisburseFundsBatch, Batch_RunningTotalAcrossYearsBreaksTheConsortiumLimit) {
  Ledger ledger;
  ledger.Given(Program(kProgram2025, Rules2025()));
  ledger.Given(Round(2025, 3, kProgram2025));
  ledger.Given(In2025(Hypothetical("daejeon-quantum", "KR-30", 3)));
  // 1.2B + 1.2B + 0.6B: the grants of the term reach the 3.0B limit.
  ledger.Given(Agreement("daejeon-quantum", 2025, 1'200'000'000));
  ledger.Given(Agreement("daejeon-quantum", 2026, 1'200'000'000));
  ledger.Given(Agreement("daejeon-quantum", 2027, 600'000'000));
  v1::DisburseFundsBatchRequest run =
      PaymentRun("daejeon-quantum", 2025, {1'200'000'000, 1'200'000'000, 650'000'000}, "RUN");
  run.mutable_disbursements(1)->set_program_year(2026);
  run.mutable_disbursements(2)->set_program_year(2027);
  EXPECT_TRUE(IsRefusal(ledger.RecordBatch(run).status(), StatusCode::kFailedPrecondition,
                        "CONSORTIUM_LIMIT_EXCEEDED",
                        {{"payment_index", "2"}, {"disbursed_krw", "2400000000"}}));
}

TEST(DisburseFundsBatch, Batch_RefusalNamesThePaymentByIndex) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  ledger.Given(Disbursement(kChungnam, 2023, 100, "RUN-2"));
  absl::Status status =
      ledger.RecordBatch(PaymentRun(kChungnam, 2023, {100, 100, 100, 100}, "RUN")).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kAlreadyExists, "PAYMENT_REFERENCE_ALREADY_USED",
                        {{"payment_index", "2"}, {"payment_reference", "RUN-2"}}));
  EXPECT_EQ(status.message().rfind("payment 2 (disbursements[2]): payment reference RUN-2", 0), 0u)
      << status.message();
}

TEST(DisburseFundsBatch, Batch_ConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  EXPECT_TRUE(IsRefusal(ledger.RecordBatch(PaymentRun("nowhere", 2023, {1, 2}, "RUN")).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND"));
}

TEST(DisburseFundsBatch, Batch_ThenReversalOfItsSecondEvent) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  absl::StatusOr<std::vector<v1::EventEnvelope>> events =
      ledger.RecordBatch(PaymentRun(kChungnam, 2024, {100, 200, 300}, "RUN"));
  ASSERT_TRUE(events.ok()) << events.status();
  const std::string second = (*events)[0].event_id() + "#1";
  absl::StatusOr<v1::EventEnvelope> reversal = ledger.Record(Reversal(kChungnam, second));
  ASSERT_TRUE(reversal.ok()) << reversal.status();
  const v1::DisbursementReversed& reversed = reversal->payload().disbursement_reversed();
  EXPECT_EQ(reversed.corrects_event_id(), second);
  EXPECT_EQ(reversed.amount_krw(), 200);
  EXPECT_EQ(reversed.payment_reference(), "RUN-1");
  EXPECT_EQ(ledger.state().consortia.at(std::string(kChungnam)).disbursed_total_krw(), 400);
  EXPECT_TRUE(IsRefusal(ledger.Record(Reversal(kChungnam, second)).status(),
                        StatusCode::kFailedPrecondition, "DISBURSEMENT_ALREADY_REVERSED"));
  // An index past the run's events names no disbursement.
  EXPECT_TRUE(IsRefusal(ledger.Record(Reversal(kChungnam, (*events)[0].event_id() + "#3")).status(),
                        StatusCode::kNotFound, "DISBURSEMENT_NOT_FOUND"));
}

TEST(DisburseFundsBatch, Batch_TheLifecycleRefusalsNameThePayment) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023, 1'000'000'000));
  // The second payment passes the grant with the first one's amount.
  absl::Status status =
      ledger.RecordBatch(PaymentRun(kChungnam, 2023, {600'000'000, 400'000'001}, "RUN")).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "COMMITMENT_EXCEEDED",
                        {{"payment_index", "1"},
                         {"disbursed_krw", "600000000"},
                         {"would_be_krw", "1000000001"},
                         {"limit_krw", "1000000000"}}));
  EXPECT_TRUE(IsRefusal(
      ledger.RecordBatch(PaymentRun(kChungnam, 2024, {1, 2}, "RUN-2024")).status(),
      StatusCode::kFailedPrecondition, "NO_AGREEMENT_FOR_YEAR", {{"payment_index", "0"}}));
  GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
  EXPECT_TRUE(IsRefusal(ledger.RecordBatch(PaymentRun(kChungnam, 2023, {1, 2}, "RUN")).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_NOT_ACTIVE",
                        {{"payment_index", "0"}}));
  EXPECT_EQ(YearIn(ConsortiumIn(ledger, kChungnam), 2023).disbursed_krw(), 0);
}

// ---- ReverseDisbursement (rule 6) ------------------------------------------------------------

TEST(ReverseDisbursement, Reversal_CopiesYearAmountAndReferenceOfTheDisbursement) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope paid = ledger.Given(Disbursement(kChungnam, 2024, 500'000'000, "KIAT-1"));
  absl::StatusOr<v1::EventEnvelope> event = ledger.Record(Reversal(kChungnam, paid.event_id()));
  ASSERT_TRUE(event.ok()) << event.status();
  const v1::DisbursementReversed& reversed = event->payload().disbursement_reversed();
  EXPECT_EQ(reversed.corrects_event_id(), paid.event_id());
  EXPECT_EQ(reversed.program_year(), 2024);
  EXPECT_EQ(reversed.amount_krw(), 500'000'000);
  EXPECT_EQ(reversed.payment_reference(), "KIAT-1");
  EXPECT_EQ(reversed.reason(), "paid twice by mistake");
}

TEST(ReverseDisbursement, Reversal_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  EXPECT_TRUE(IsRefusal(ledger.Record(Reversal("nowhere", EventIdFor(99))).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND"));
}

TEST(ReverseDisbursement, Reversal_RefusedWhenDisbursementNotFound) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope lab = ledger.Given(Lab(kChungnam, "lab", Pid("kongju-univ")));
  v1::EventEnvelope ulsan_paid = ledger.Given(Disbursement(kUlsan, 2023, 100, "R-1"));
  // Unknown event, an event that is not a disbursement, another consortium's.
  for (const std::string& event_id : {EventIdFor(999), lab.event_id(), ulsan_paid.event_id()}) {
    EXPECT_TRUE(IsRefusal(ledger.Record(Reversal(kChungnam, event_id)).status(),
                          StatusCode::kNotFound, "DISBURSEMENT_NOT_FOUND",
                          {{"corrects_event_id", event_id}}));
  }
}

TEST(ReverseDisbursement, Reversal_RefusedWhenDisbursementAlreadyReversed) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope paid = ledger.Given(Disbursement(kChungnam, 2023, 100, "R-1"));
  ledger.Given(Reversal(kChungnam, paid.event_id()));
  EXPECT_TRUE(IsRefusal(ledger.Record(Reversal(kChungnam, paid.event_id())).status(),
                        StatusCode::kFailedPrecondition, "DISBURSEMENT_ALREADY_REVERSED",
                        {{"corrects_event_id", paid.event_id()}, {"amount_krw", "100"}}));
}

TEST(ReverseDisbursement, Reversal_FreesTheAmountUnderTheAnnualLimit) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope paid = ledger.Given(Disbursement(kChungnam, 2023, kAnnualLimit2023Krw, "R-1"));
  ledger.Given(Reversal(kChungnam, paid.event_id()));
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2023, kAnnualLimit2023Krw, "R-2")).ok());
}

// ---- The rule indexes on disk (LedgerState::committed) -------------------------------------

TEST(RuleIndex, AfterCommits_NoPerPaymentEntryStaysInMemory_AndTheRulesStillHold) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  constexpr int kPayments = 600;
  constexpr int kPaymentsPerCommit = 50;
  std::vector<std::string> event_ids;
  for (int i = 0; i < kPayments; ++i) {
    event_ids.push_back(
        ledger.Given(Disbursement(kGyeongnam, 2023 + i % 5, 1'000, "G-" + std::to_string(i)))
            .event_id());
    if ((i + 1) % kPaymentsPerCommit == 0) ledger.Commit();
  }
  // What memory holds does not grow with the payments: the models of one
  // program and three consortia, and no rule-index entry.
  EXPECT_TRUE(ledger.state().pending_rule_entries.empty());
  EXPECT_EQ(ledger.state().programs.size(), 1u);
  EXPECT_EQ(ledger.state().consortia.size(), 3u);
  EXPECT_EQ(ledger.committed().entries.size(), 2u * kPayments);
  EXPECT_EQ(ledger.state().consortia.at(std::string(kGyeongnam)).disbursed_total_krw(),
            kPayments * 1'000);

  // An early reference, committed long ago, is found on "disk".
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement(kGyeongnam, 2024, 1, "G-7")).status(),
                        StatusCode::kAlreadyExists, "PAYMENT_REFERENCE_ALREADY_USED",
                        {{"original_event_id", event_ids[7]}}));
  // A reversal of a committed disbursement, and its repeat after a commit.
  ASSERT_TRUE(ledger.Record(Reversal(kGyeongnam, event_ids[3])).ok());
  ledger.Commit();
  EXPECT_TRUE(ledger.state().pending_rule_entries.empty());
  EXPECT_TRUE(IsRefusal(ledger.Record(Reversal(kGyeongnam, event_ids[3])).status(),
                        StatusCode::kFailedPrecondition, "DISBURSEMENT_ALREADY_REVERSED"));
}

TEST(RuleIndex, PendingEntriesOverrideCommittedOnes) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope paid = ledger.Given(Disbursement(kChungnam, 2023, 100, "R-1"));
  ledger.Commit();
  // Reversed since the commit: the committed record still says otherwise.
  ledger.Given(Reversal(kChungnam, paid.event_id()));
  EXPECT_TRUE(IsRefusal(ledger.Record(Reversal(kChungnam, paid.event_id())).status(),
                        StatusCode::kFailedPrecondition, "DISBURSEMENT_ALREADY_REVERSED"));
}

TEST(RuleIndex, ReadError_RefusesTheCommandUnavailable) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope paid = ledger.Given(Disbursement(kChungnam, 2023, 100, "R-1"));
  ledger.Commit();
  ledger.committed().fail = true;
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement(kChungnam, 2023, 100, "R-2")).status(),
                        StatusCode::kUnavailable, "RULE_INDEX_UNAVAILABLE"));
  EXPECT_TRUE(IsRefusal(ledger.Record(Reversal(kChungnam, paid.event_id())).status(),
                        StatusCode::kUnavailable, "RULE_INDEX_UNAVAILABLE"));
  EXPECT_TRUE(IsRefusal(ledger.RecordBatch(PaymentRun(kChungnam, 2023, {1, 2}, "RUN")).status(),
                        StatusCode::kUnavailable, "RULE_INDEX_UNAVAILABLE",
                        {{"payment_index", "0"}}));
  // The store back, the same commands pass.
  ledger.committed().fail = false;
  EXPECT_TRUE(ledger.Record(Disbursement(kChungnam, 2023, 100, "R-2")).ok());
}

// ---- Agreement totals ---------------------------------------------------------------------

TEST(Agreements, Totals_FollowSignaturesAndAmendments) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Agreement(kChungnam, 2023, 1'000'000'000));
  ledger.Given(Agreement(kChungnam, 2024, 1'200'000'000));
  ledger.Given(Agreement(kGyeongnam, 2023, 500'000'000));
  ledger.Given(Amendment(kChungnam, 2023, 800'000'000));
  ledger.Given(Disbursement(kChungnam, 2023, 300'000'000, "P-1"));

  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  EXPECT_EQ(chungnam.committed_total_krw(), 2'000'000'000);
  EXPECT_EQ(YearIn(chungnam, 2023).committed_krw(), 800'000'000);
  EXPECT_EQ(YearIn(chungnam, 2023).remaining_commitment_krw(), 500'000'000);
  EXPECT_EQ(YearIn(chungnam, 2024).committed_krw(), 1'200'000'000);
  EXPECT_EQ(YearIn(chungnam, 2025).committed_krw(), 0);
  EXPECT_EQ(ConsortiumIn(ledger, kGyeongnam).committed_total_krw(), 500'000'000);
  EXPECT_EQ(ConsortiumIn(ledger, kUlsan).committed_total_krw(), 0);

  const v1::ProgramSummary& program = ProgramIn(ledger);
  EXPECT_EQ(program.agreed_total_krw(), 2'500'000'000);
  EXPECT_EQ(YearIn(program, 2023).agreed_krw(), 1'300'000'000);
  EXPECT_EQ(YearIn(program, 2024).agreed_krw(), 1'200'000'000);
  EXPECT_EQ(YearIn(program, 2023).disbursed_krw(), 300'000'000);
  // What the program promised to consortia (their limits) is another figure.
  EXPECT_EQ(program.committed_krw(), 3 * kConsortiumLimit2023Krw);
}

}  // namespace
}  // namespace alliance::domain::testing
