// The stateless checks of validate.h, one field family a test: each bad
// request is refused with INVALID_ARGUMENT naming the field by its path.
#include "services/domain/validate.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/domain/ledger_fixture.h"

namespace alliance::domain::testing {
namespace {

constexpr char kMissing[] = "MISSING_FIELD";
constexpr char kInvalid[] = "INVALID_FIELD";

TEST(Validate, Fixtures_The2023ProgramAndConsortiaAreValid) {
  EXPECT_TRUE(ValidateEstablishProgram(WithMeta(Program2023())).ok());
  for (const auto& request : {Chungnam(), Gyeongnam(), Ulsan()}) {
    absl::Status status = ValidateSelectConsortium(WithMeta(request));
    EXPECT_TRUE(status.ok()) << status;
  }
  EXPECT_TRUE(ValidateDesignateLab(WithMeta(Lab(kChungnam, "lab", "kongju-univ"))).ok());
  EXPECT_TRUE(ValidateDisburseFunds(WithMeta(Disbursement(kChungnam, 2023, 1, "R-1"))).ok());
  EXPECT_TRUE(ValidateReverseDisbursement(WithMeta(Reversal(kChungnam, EventIdFor(1)))).ok());
  EXPECT_TRUE(
      ValidateRecordHire(WithMeta(HireOf(kChungnam, "kongju-2023-007", "lab", "conex"))).ok());
}

// ---- meta ----------------------------------------------------------------------------

TEST(Validate, Meta_EventIdIsRequired) {
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(Chungnam()), kMissing, "meta.event_id"));
}

TEST(Validate, Meta_EventIdMustBeALowercaseUuid) {
  for (const char* bad :
       {"not-a-uuid", "123e4567e89b12d3a456426614174000", "123E4567-E89B-12D3-A456-426614174000",
        "123e4567-e89b-12d3-a456-42661417400g", "123e4567-e89b-12d3-a456_426614174000"}) {
    v1::DisburseFundsRequest request = Disbursement(kChungnam, 2023, 1, "R-1");
    request.mutable_meta()->set_event_id(bad);
    absl::Status status = ValidateDisburseFunds(request);
    EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "meta.event_id")) << bad;
    EXPECT_NE(status.message().find("123e4567-e89b-12d3-a456-426614174000"),
              absl::string_view::npos);
  }
}

TEST(Validate, Meta_ExactExpectedVersionStartsAtOne) {
  v1::DesignateLabRequest request = WithMeta(Lab(kChungnam, "lab", "kongju-univ"));
  request.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_EXACT);
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDesignateLab(request), kInvalid, "meta.expected_version.version"));
  request.mutable_meta()->mutable_expected_version()->set_version(1);
  EXPECT_TRUE(ValidateDesignateLab(request).ok());
  request.mutable_meta()->mutable_expected_version()->set_kind(
      static_cast<v1::ExpectedVersion::Kind>(7));
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDesignateLab(request), kInvalid, "meta.expected_version.kind"));
}

TEST(Validate, Meta_CorrelationIdIsBounded) {
  v1::DesignateLabRequest request = WithMeta(Lab(kChungnam, "lab", "kongju-univ"));
  request.mutable_meta()->set_correlation_id(std::string(kCorrelationIdMax, 'c'));
  EXPECT_TRUE(ValidateDesignateLab(request).ok());
  request.mutable_meta()->set_correlation_id(std::string(kCorrelationIdMax + 1, 'c'));
  EXPECT_TRUE(IsFieldRefusal(ValidateDesignateLab(request), kInvalid, "meta.correlation_id"));
}

// ---- ids, texts, regions, years, times -------------------------------------------------

TEST(Validate, Ids_MustBeLowercaseLettersDigitsAndDashes) {
  for (const char* bad : {"Chungnam", "-chungnam", "chung nam", "충남"}) {
    v1::SelectConsortiumRequest request = WithMeta(Chungnam());
    request.mutable_selection()->set_consortium_id(bad);
    EXPECT_TRUE(
        IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.consortium_id"))
        << bad;
  }
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->set_consortium_id(std::string(kIdLengthMax + 1, 'a'));
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.consortium_id"));
  request.mutable_selection()->clear_program_id();
  request.mutable_selection()->set_consortium_id(std::string(kIdLengthMax, 'a'));
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.program_id"));
}

TEST(Validate, Texts_RequiredValidUtf8BoundedAndWithoutNul) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->clear_field_ko();
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.field_ko"));
  request.mutable_selection()->set_field_ko("\xff\xfe");
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.field_ko"));
  request.mutable_selection()->set_field_ko(std::string("미래\0차", 10));
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.field_ko"));
  request.mutable_selection()->set_field_ko(std::string(kTextLengthMax + 1, 'x'));
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.field_ko"));
  request.mutable_selection()->set_field_ko("미래차");
  request.mutable_selection()->clear_field_en();  // optional
  EXPECT_TRUE(ValidateSelectConsortium(request).ok());
}

TEST(Validate, Region_MustBeAnIso3166KrCode) {
  for (const char* bad : {"KR-4", "kr-44", "KR-444", "KR44", "JP-13"}) {
    v1::SelectConsortiumRequest request = WithMeta(Chungnam());
    request.mutable_selection()->set_region_code(bad);
    absl::Status status = ValidateSelectConsortium(request);
    EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "selection.region_code")) << bad;
    EXPECT_NE(status.message().find("KR-44"), absl::string_view::npos);
  }
}

TEST(Validate, Years_MustBeWithinTheSupportedRange) {
  v1::DisburseFundsRequest request = WithMeta(Disbursement(kChungnam, 2023, 1, "R-1"));
  request.mutable_disbursement()->set_program_year(kYearMax + 1);
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDisburseFunds(request), kInvalid, "disbursement.program_year"));
  request.mutable_disbursement()->set_program_year(0);
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDisburseFunds(request), kMissing, "disbursement.program_year"));
}

TEST(Validate, Timestamps_PresentAndInTheTimestampRange) {
  v1::RecordHireRequest request = WithMeta(HireOf(kChungnam, "r-1", "lab", "conex"));
  request.mutable_hire()->clear_occurred_at();
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kMissing, "hire.occurred_at"));
  request.mutable_hire()->mutable_occurred_at()->set_seconds(253'402'300'800);  // year 10000
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kInvalid, "hire.occurred_at"));
  request.mutable_hire()->mutable_occurred_at()->set_seconds(0);
  request.mutable_hire()->mutable_occurred_at()->set_nanos(1'000'000'000);
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kInvalid, "hire.occurred_at"));
  request.mutable_hire()->mutable_occurred_at()->set_nanos(999'999'999);
  EXPECT_TRUE(ValidateRecordHire(request).ok());
}

// ---- amounts ------------------------------------------------------------------------------

TEST(Validate, Amounts_PositiveWholeKrwUpToTheMaximum) {
  v1::DisburseFundsRequest request = WithMeta(Disbursement(kChungnam, 2023, -1, "R-1"));
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFunds(request), kInvalid, "disbursement.amount_krw"));
  request.mutable_disbursement()->set_amount_krw(0);
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFunds(request), kMissing, "disbursement.amount_krw"));
  request.mutable_disbursement()->set_amount_krw(kAmountKrwMax + 1);
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFunds(request), kInvalid, "disbursement.amount_krw"));
  request.mutable_disbursement()->set_amount_krw(kAmountKrwMax);
  EXPECT_TRUE(ValidateDisburseFunds(request).ok());
}

TEST(Validate, PaymentReference_IsRequired) {
  v1::DisburseFundsRequest request = WithMeta(Disbursement(kChungnam, 2023, 1, ""));
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDisburseFunds(request), kMissing, "disbursement.payment_reference"));
}

// ---- participants ---------------------------------------------------------------------------

TEST(Validate, Participants_RoleMustBeAKnownValue) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->mutable_participants(2)->set_role(v1::PARTICIPANT_ROLE_UNSPECIFIED);
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kMissing,
                             "selection.participants[2].role"));
  request.mutable_selection()->mutable_participants(2)->set_role(
      static_cast<v1::ParticipantRole>(99));
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kInvalid,
                             "selection.participants[2].role"));
}

TEST(Validate, Participants_IdsAreUnique) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->mutable_participants(3)->set_participant_id("conex");
  absl::Status status = ValidateSelectConsortium(request);
  EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "selection.participants[3].participant_id"));
  EXPECT_NE(status.message().find("selection.participants[1]"), absl::string_view::npos);
}

TEST(Validate, Participants_LeadIsAmongThem) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->set_lead_participant_id("changwon-univ");
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.lead_participant_id"));
}

TEST(Validate, Participants_AtLeastOneAndAtMostTheMaximum) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->clear_participants();
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.participants"));
  request =
      WithMeta(Hypothetical("big", "KR-44", static_cast<int>(kParticipantsMax)));  // one too many
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.participants"));
}

// ---- researchers (rule 7) and degrees ----------------------------------------------------------

TEST(Validate, Researcher_ResidentRegistrationNumberShapesAreRefused) {
  for (const char* rrn :
       {"900101-1234567", "9001011234567", "r-9001011234567", "kongju-900101-2345678-x"}) {
    v1::RecordHireRequest request = WithMeta(HireOf(kChungnam, rrn, "lab", "conex"));
    absl::Status status = ValidateRecordHire(request);
    EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "hire.researcher_id")) << rrn;
    EXPECT_NE(status.message().find("pseudonymous"), absl::string_view::npos);
  }
  // A pseudonymous id with a few digits is fine.
  for (const char* ok : {"kongju-2023-007", "R_000123", "900101-123456"}) {
    EXPECT_TRUE(ValidateRecordHire(WithMeta(HireOf(kChungnam, ok, "lab", "conex"))).ok()) << ok;
  }
}

TEST(Validate, Researcher_IdCharactersAreLimited) {
  v1::RecordHireRequest request = WithMeta(HireOf(kChungnam, "홍길동", "lab", "conex"));
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kInvalid, "hire.researcher_id"));
  request.mutable_hire()->clear_researcher_id();
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kMissing, "hire.researcher_id"));
}

TEST(Validate, Degree_MustBeMastersOrPhdOrACandidacy) {
  v1::RecordHireRequest request = WithMeta(HireOf(kChungnam, "r-1", "lab", "conex"));
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

// ---- reversal ---------------------------------------------------------------------------------

TEST(Validate, Reversal_NamesTheCorrectedEventAndWhy) {
  v1::ReverseDisbursementRequest request = WithMeta(Reversal(kChungnam, "KIAT-1"));
  EXPECT_TRUE(IsFieldRefusal(ValidateReverseDisbursement(request), kInvalid, "corrects_event_id"));
  request = WithMeta(Reversal(kChungnam, EventIdFor(1)));
  request.clear_reason();
  EXPECT_TRUE(IsFieldRefusal(ValidateReverseDisbursement(request), kMissing, "reason"));
}

TEST(Validate, Reversal_CorrectsEventIdMayNameEventIOfAMultiEventCommand) {
  const std::string uuid = EventIdFor(1);
  for (const std::string& good : {uuid, uuid + "#1", uuid + "#5", uuid + "#42", uuid + "#999"}) {
    absl::Status status = ValidateReverseDisbursement(WithMeta(Reversal(kChungnam, good)));
    EXPECT_TRUE(status.ok()) << good << ": " << status;
  }
  // #0 is the command's own id; no leading zeros, signs or spaces; an index
  // a command cannot reach; not a UUID before the '#'.
  for (const std::string& bad :
       {uuid + "#", uuid + "#0", uuid + "#05", uuid + "#+5", uuid + "# 5", uuid + "#5a",
        uuid + "#1000", uuid + "#99999999999999999999", uuid + "#1#2", std::string("KIAT-1#1"),
        std::string("#1"), EventIdFor(1).substr(1) + "#1"}) {
    EXPECT_TRUE(IsFieldRefusal(ValidateReverseDisbursement(WithMeta(Reversal(kChungnam, bad))),
                               kInvalid, "corrects_event_id"))
        << bad;
  }
}

// ---- payment runs
// ---------------------------------------------------------------------------------

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
  EXPECT_NE(status.message().find(kChungnam), absl::string_view::npos) << status;
}

TEST(Validate, Batch_PaymentReferencesAreUniqueWithinTheRequest) {
  v1::DisburseFundsBatchRequest request = WithMeta(PaymentRun(kChungnam, 2023, {1, 2, 3}, "R"));
  request.mutable_disbursements(2)->set_payment_reference("R-0");
  absl::Status status = ValidateDisburseFundsBatch(request);
  EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "disbursements[2].payment_reference"));
  EXPECT_NE(status.message().find("disbursements[0]"), absl::string_view::npos) << status;
}

// ---- program rules ------------------------------------------------------------------------------

// Validates the 2023 program with its rules changed by `change`.
template <typename Change>
absl::Status WithRules(Change change) {
  v1::EstablishProgramRequest request = WithMeta(Program2023());
  change(request.mutable_program()->mutable_rules());
  return ValidateEstablishProgram(request);
}

TEST(Validate, Rules_PeriodIsOrderedAndTermFitsIt) {
  EXPECT_TRUE(IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_last_year(2022); }),
                             kInvalid, "program.rules.last_year"));
  EXPECT_TRUE(
      IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_consortium_term_years(7); }),
                     kInvalid, "program.rules.consortium_term_years"));
  EXPECT_TRUE(
      IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_consortium_term_years(-1); }),
                     kInvalid, "program.rules.consortium_term_years"));
  EXPECT_TRUE(WithRules([](v1::ProgramRules* r) { r->set_consortium_term_years(6); }).ok());
}

TEST(Validate, Rules_LimitsArePositiveAndNested) {
  EXPECT_TRUE(IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_total_budget_krw(-5); }),
                             kInvalid, "program.rules.total_budget_krw"));
  EXPECT_TRUE(
      IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->clear_consortium_limit_krw(); }),
                     kMissing, "program.rules.consortium_limit_krw"));
  EXPECT_TRUE(IsFieldRefusal(
      WithRules([](v1::ProgramRules* r) { r->set_consortium_annual_limit_krw(7'000'000'000); }),
      kInvalid, "program.rules.consortium_annual_limit_krw"));
  EXPECT_TRUE(IsFieldRefusal(
      WithRules([](v1::ProgramRules* r) { r->set_consortium_limit_krw(41'400'000'001); }), kInvalid,
      "program.rules.consortium_limit_krw"));
}

TEST(Validate, Rules_CountsAreNotNegativeAndRegionsWellFormed) {
  EXPECT_TRUE(
      IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_min_midsized_enterprises(-1); }),
                     kInvalid, "program.rules.min_midsized_enterprises"));
  EXPECT_TRUE(IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_hiring_target(-1); }),
                             kInvalid, "program.rules.hiring_target"));
  EXPECT_TRUE(IsFieldRefusal(
      WithRules([](v1::ProgramRules* r) { r->set_excluded_region_codes(1, "Incheon"); }), kInvalid,
      "program.rules.excluded_region_codes[1]"));
  EXPECT_TRUE(WithRules([](v1::ProgramRules* r) {
                r->set_min_midsized_enterprises(0);
                r->clear_excluded_region_codes();
              }).ok());
}

TEST(Validate, Rules_AreRequired) {
  v1::EstablishProgramRequest request = WithMeta(Program2023());
  request.mutable_program()->clear_rules();
  EXPECT_TRUE(IsFieldRefusal(ValidateEstablishProgram(request), kMissing, "program.rules"));
}

}  // namespace
}  // namespace alliance::domain::testing
