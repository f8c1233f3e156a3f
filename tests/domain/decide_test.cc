// The program's rules (domain.md rules 1, 3, 4, 5), one test a rule: given
// earlier events, when a command, then this event or this refusal.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/domain/lifecycle_fixture.h"

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

// ---- DesignateLab (rule 4) --------------------------------------------------------------

TEST(DesignateLab, Lab_AcceptedForAUniversityOfTheConsortium) {
  Ledger ledger;
  ledger.Given2023();
  absl::StatusOr<v1::EventEnvelope> event =
      ledger.Record(Lab(kChungnam, "kongju-future-vehicle-lab", Pid("kongju-univ")));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->payload().lab_designated().lab_id(), "kongju-future-vehicle-lab");
  EXPECT_EQ(event->stream_id(), "consortium-chungnam-future-vehicles");
}

TEST(DesignateLab, Lab_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab("seoul-ai", "lab", Pid("kongju-univ"))).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "seoul-ai"}}));
}

TEST(DesignateLab, Lab_RefusedWhenUniversityIsNotInTheConsortium) {
  Ledger ledger;
  ledger.Given2023();
  // Changwon National University belongs to the Gyeongnam consortium.
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab(kChungnam, "lab", Pid("changwon-univ"))).status(),
                        StatusCode::kFailedPrecondition, "LAB_UNIVERSITY_NOT_IN_CONSORTIUM",
                        {{"participant_id", Pid("changwon-univ")}, {"role", ""}}));
}

TEST(DesignateLab, Lab_RefusedWhenHostIsNotAUniversity) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(
      ledger.Record(Lab(kChungnam, "lab", Pid("katech"))).status(), StatusCode::kFailedPrecondition,
      "LAB_UNIVERSITY_NOT_IN_CONSORTIUM",
      {{"participant_id", Pid("katech")}, {"role", "PARTICIPANT_ROLE_RESEARCH_INSTITUTE"}}));
}

TEST(DesignateLab, Lab_RefusedWhenAlreadyDesignatedInTheConsortium) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Lab(kChungnam, "kongju-lab", Pid("kongju-univ")));
  EXPECT_TRUE(IsRefusal(ledger.Record(Lab(kChungnam, "kongju-lab", Pid("kongju-univ"))).status(),
                        StatusCode::kAlreadyExists, "LAB_ALREADY_DESIGNATED",
                        {{"lab_id", "kongju-lab"}}));
  // The same lab id is another consortium's own.
  EXPECT_TRUE(ledger.Record(Lab(kUlsan, "kongju-lab", Pid("ulsan-univ"))).ok());
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

// ---- RecordHire (rule 5) -----------------------------------------------------------------

class RecordHire : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Given2023();
    ledger_.Given(Lab(kChungnam, "kongju-lab", Pid("kongju-univ")));
    ledger_.Given(Enrolment(kChungnam, "kongju-2023-007", "kongju-lab"));
    ledger_.Given(Enrolment(kChungnam, "r-1", "kongju-lab"));
  }
  Ledger ledger_;
};

TEST_F(RecordHire, Hire_AcceptedForAResearcherOfTheLabHiredByAnEnterpriseOfTheConsortium) {
  absl::StatusOr<v1::EventEnvelope> event =
      ledger_.Record(HireOf(kChungnam, "kongju-2023-007", "kongju-lab", Pid("conex")));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->payload().researcher_hired().researcher_id(), "kongju-2023-007");
}

TEST_F(RecordHire, Hire_RefusedWhenConsortiumNotFound) {
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf("nowhere", "r-1", "kongju-lab", Pid("conex"))).status(),
                StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND"));
}

TEST_F(RecordHire, Hire_RefusedWhenLabNotDesignatedInTheConsortium) {
  ledger_.Given(Lab(kUlsan, "ulsan-lab", Pid("ulsan-univ")));
  // Ulsan's lab is not Chungnam's.
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf(kChungnam, "r-1", "ulsan-lab", Pid("conex"))).status(),
                StatusCode::kFailedPrecondition, "LAB_NOT_DESIGNATED",
                {{"lab_id", "ulsan-lab"}, {"consortium_id", std::string(kChungnam)}}));
}

TEST_F(RecordHire, Hire_RefusedWhenEnterpriseIsNotAMidsizedEnterpriseOfTheConsortium) {
  // Korea PTG is Ulsan's enterprise; KATECH is Chungnam's but a research institute.
  for (const std::string& hirer : {Pid("korea-ptg"), Pid("katech")}) {
    EXPECT_TRUE(IsRefusal(
        ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", hirer)).status(),
        StatusCode::kFailedPrecondition, "ENTERPRISE_NOT_IN_CONSORTIUM",
        {{"participant_id", hirer}, {"required_role", "PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE"}}));
  }
}

TEST_F(RecordHire, Hire_RefusedWhenResearcherNotEnrolled) {
  EXPECT_TRUE(IsRefusal(
      ledger_.Record(HireOf(kChungnam, "never-enrolled", "kongju-lab", Pid("conex"))).status(),
      StatusCode::kFailedPrecondition, "RESEARCHER_NOT_ENROLLED",
      {{"researcher_id", "never-enrolled"}}));
}

TEST_F(RecordHire, Hire_RefusedWhenNamingAnotherLabThanTheEnrolment) {
  ledger_.Given(Lab(kChungnam, "second-lab", Pid("kongju-univ")));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf(kChungnam, "r-1", "second-lab", Pid("conex"))).status(),
                StatusCode::kFailedPrecondition, "RESEARCHER_NOT_IN_LAB",
                {{"lab_id", "second-lab"}, {"enrolled_lab_id", "kongju-lab"}}));
}

TEST_F(RecordHire, Hire_DegreeMustMatchTheRecord_CandidateBeforeGraduationDegreeAfter) {
  v1::RecordHireRequest graduate_degree = HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"));
  graduate_degree.mutable_hire()->set_degree(v1::DEGREE_MASTERS);
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(graduate_degree).status(), StatusCode::kFailedPrecondition,
                "DEGREE_DOES_NOT_MATCH_RECORD",
                {{"degree", "DEGREE_MASTERS"}, {"expected_degree", "DEGREE_MASTERS_CANDIDATE"}}));
  ledger_.Given(Graduation(kChungnam, "r-1", "2024-02-20T00:00:00Z"));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"))).status(),
                StatusCode::kFailedPrecondition, "DEGREE_DOES_NOT_MATCH_RECORD",
                {{"degree", "DEGREE_MASTERS_CANDIDATE"}, {"expected_degree", "DEGREE_MASTERS"}}));
  EXPECT_TRUE(ledger_.Record(graduate_degree).ok());
}

TEST_F(RecordHire, Hire_RefusedWhenDatedBeforeTheEnrolment) {
  EXPECT_TRUE(IsRefusal(
      ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"), "2023-08-31T00:00:00Z"))
          .status(),
      StatusCode::kFailedPrecondition, "STEP_BEFORE_PREVIOUS_STEP",
      {{"previous_step_occurred_at", "2023-09-01T00:00:00Z"}}));
}

TEST_F(RecordHire, Hire_RefusedWhenEnterpriseHasWithdrawn) {
  ledger_.Given(Joining(kChungnam, Member(Pid("third-enterprise"), "셋째기업",
                                          v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)));
  ledger_.Given(Withdrawal(kChungnam, Pid("conex")));
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("conex"))).status(),
                StatusCode::kFailedPrecondition, "ENTERPRISE_NOT_IN_CONSORTIUM",
                {{"participant_id", Pid("conex")}}));
  EXPECT_TRUE(ledger_.Record(HireOf(kChungnam, "r-1", "kongju-lab", Pid("third-enterprise"))).ok());
}

TEST_F(RecordHire, Hire_RefusedWhenResearcherAlreadyHiredInTheConsortium) {
  v1::EventEnvelope first =
      ledger_.Given(HireOf(kChungnam, "kongju-2023-007", "kongju-lab", Pid("conex")));
  EXPECT_TRUE(IsRefusal(
      ledger_.Record(HireOf(kChungnam, "kongju-2023-007", "kongju-lab", Pid("yongsan"))).status(),
      StatusCode::kAlreadyExists, "RESEARCHER_ALREADY_HIRED",
      {{"researcher_id", "kongju-2023-007"}, {"original_event_id", first.event_id()}}));
}

}  // namespace
}  // namespace alliance::domain::testing
