// The program and its rounds (services/domain/program.h), given/when/then.
// Validation: each bad request refused with INVALID_ARGUMENT naming the
// field. Rules: given earlier events, when a command, then this event or
// this refusal, one test a reason in the order program.h lists them.
#include "services/domain/program.h"

#include <string>

#include "absl/status/status.h"
#include "alliance/v1/commands.pb.h"
#include "gtest/gtest.h"
#include "services/domain/regions.h"
#include "services/domain/validation.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/domain/validation_fixture.h"

// ---- Validation -------------------------------------------------------------------

namespace alliance::domain::testing::validation {
namespace {

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

TEST(Validate, Rules_CountsAreNotNegative) {
  EXPECT_TRUE(
      IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_min_midsized_enterprises(-1); }),
                     kInvalid, "program.rules.min_midsized_enterprises"));
  EXPECT_TRUE(IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_hiring_target(-1); }),
                             kInvalid, "program.rules.hiring_target"));
  EXPECT_TRUE(WithRules([](v1::ProgramRules* r) {
                r->set_min_midsized_enterprises(0);
                r->clear_excluded_region_codes();
              }).ok());
}

TEST(Validate, Rules_ExcludedRegionsAreEachOneOfTheSeventeen) {
  for (const char* bad : {"Incheon", "KR-99", "KR-1", "kr-28"}) {
    absl::Status status =
        WithRules([bad](v1::ProgramRules* r) { r->set_excluded_region_codes(1, bad); });
    EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "program.rules.excluded_region_codes[1]")) << bad;
    EXPECT_TRUE(Contains(status, "KR-44 (충청남도)")) << status;
  }
  EXPECT_TRUE(
      IsFieldRefusal(WithRules([](v1::ProgramRules* r) { r->set_excluded_region_codes(2, ""); }),
                     kMissing, "program.rules.excluded_region_codes[2]"));
  EXPECT_TRUE(WithRules([](v1::ProgramRules* r) {
                r->clear_excluded_region_codes();
                for (const Region& region : Regions()) {
                  r->add_excluded_region_codes(std::string(region.code));
                }
              }).ok());
}

TEST(Validate, Rules_AreRequired) {
  v1::EstablishProgramRequest request = WithMeta(Program2023());
  request.mutable_program()->clear_rules();
  EXPECT_TRUE(IsFieldRefusal(ValidateEstablishProgram(request), kMissing, "program.rules"));
}

// ---- round ----------------------------------------------------------------------------------

TEST(Validate, OpenSelectionRound) {
  using R = v1::OpenSelectionRoundRequest;
  ExpectRefusals<R>(
      ValidateOpenSelectionRound, WithMeta(Round2024()),
      {
          {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
          {[](R* r) { r->clear_round(); }, kMissing, "round"},
          {[](R* r) { r->mutable_round()->clear_program_id(); }, kMissing, "round.program_id"},
          {[](R* r) { r->mutable_round()->set_program_id("Alliance"); }, kInvalid,
           "round.program_id"},
          {[](R* r) { r->mutable_round()->clear_round_year(); }, kMissing, "round.round_year"},
          {[](R* r) { r->mutable_round()->set_round_year(kYearMin - 1); }, kInvalid,
           "round.round_year"},
          {[](R* r) { r->mutable_round()->set_round_year(kYearMax + 1); }, kInvalid,
           "round.round_year"},
          {[](R* r) { r->mutable_round()->clear_slots(); }, kMissing, "round.slots"},
          {[](R* r) { r->mutable_round()->set_slots(-1); }, kInvalid, "round.slots"},
          {[](R* r) { r->mutable_round()->set_slots(kRoundSlotsMax + 1); }, kInvalid,
           "round.slots"},
          {[](R* r) { r->mutable_round()->clear_occurred_at(); }, kMissing, "round.occurred_at"},
          {[](R* r) { r->mutable_round()->mutable_occurred_at()->set_nanos(-1); }, kInvalid,
           "round.occurred_at"},
      });
  R request = WithMeta(Round2024());
  request.mutable_round()->set_slots(kRoundSlotsMax);
  EXPECT_TRUE(ValidateOpenSelectionRound(request).ok());
}

}  // namespace
}  // namespace alliance::domain::testing::validation

// ---- Rules --------------------------------------------------------------------------

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

// ---- EstablishProgram --------------------------------------------------------------

TEST(EstablishProgram, Program_RefusedWhenAlreadyEstablished) {
  Ledger ledger;
  ledger.Given(Program2023());
  EXPECT_TRUE(IsRefusal(ledger.Record(Program2023()).status(), StatusCode::kAlreadyExists,
                        "PROGRAM_ALREADY_EXISTS", {{"program_id", "alliance-2023"}}));
}

TEST(EstablishProgram, Program_AcceptedAsProgramEstablished) {
  Ledger ledger;
  absl::StatusOr<v1::EventEnvelope> event = ledger.Record(Program2023());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->payload().program_established().rules().consortium_limit_krw(),
            kConsortiumLimit2023Krw);
  EXPECT_EQ(event->stream_id(), "program-alliance-2023");
}

// ---- OpenSelectionRound ----------------------------------------------------------------

TEST(OpenSelectionRound, Round_AcceptedAndShownInTheProgramSummary) {
  Ledger ledger;
  ledger.Given(Program2023());
  absl::StatusOr<v1::EventEnvelope> event = ledger.Record(Round(2023, 3));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->stream_id(), "program-alliance-2023");
  const v1::ProgramSummary& program = ledger.state().programs.at("alliance-2023");
  ASSERT_EQ(program.rounds_size(), 1);
  EXPECT_EQ(program.rounds(0).round_year(), 2023);
  EXPECT_EQ(program.rounds(0).slots(), 3);
  EXPECT_EQ(program.rounds(0).selected_count(), 0);
}

TEST(OpenSelectionRound, Round_RefusedForUnknownProgram) {
  Ledger ledger;
  EXPECT_TRUE(IsRefusal(ledger.Record(Round(2023, 3)).status(), StatusCode::kNotFound,
                        "PROGRAM_NOT_FOUND", {{"program_id", "alliance-2023"}}));
}

TEST(OpenSelectionRound, Round_RefusedWhenTheYearHasOne) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));
  EXPECT_TRUE(IsRefusal(ledger.Record(Round(2023, 1)).status(), StatusCode::kAlreadyExists,
                        "ROUND_ALREADY_OPENED", {{"round_year", "2023"}, {"slots", "3"}}));
}

TEST(OpenSelectionRound, Round_RefusedOutsideThePeriodOrWhenTheTermWouldRunPastIt) {
  Ledger ledger;
  ledger.Given(Program2023());
  EXPECT_TRUE(IsRefusal(ledger.Record(Round(2022, 3)).status(), StatusCode::kFailedPrecondition,
                        "ROUND_OUTSIDE_PROGRAM_PERIOD"));
  EXPECT_TRUE(IsRefusal(ledger.Record(Round(2025, 3)).status(), StatusCode::kFailedPrecondition,
                        "TERM_OUTSIDE_PROGRAM_PERIOD", {{"term_last_year", "2029"}}));
}

TEST(OpenSelectionRound, Round_SlotsMustFitTheBudgetWithTheSlotsAlreadyReserved) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));  // 3 x 6.9B reserved, none selected yet
  // 41.4B / 6.9B = 6 consortia: 3 more fit, 4 do not.
  absl::Status status = ledger.Record(Round(2024, 4)).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "ROUND_SLOTS_OVER_BUDGET",
                        {{"slots", "4"}, {"reserved_consortia", "3"}, {"available_slots", "3"}}));
  EXPECT_TRUE(ledger.Record(Round(2024, 3)).ok());
}

}  // namespace
}  // namespace alliance::domain::testing
