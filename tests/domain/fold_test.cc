// The fold: how each event changes ProgramSummary and ConsortiumStatus, and
// the rule-index entries and stream ids. (How the models are stored:
// tests/service/stored_models_test.cc.)
#include "services/domain/fold.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "services/domain/rule_keys.h"
#include "services/domain/streams.h"
#include "tests/domain/ledger_fixture.h"

namespace alliance::domain::testing {
namespace {

const std::string kNul(1, '\0');

const v1::ConsortiumStatus& ConsortiumIn(const Ledger& ledger, absl::string_view id) {
  return ledger.state().consortia.at(std::string(id));
}

const v1::ProgramSummary& Program2023In(const Ledger& ledger) {
  return ledger.state().programs.at(std::string(kProgram2023));
}

// ---- ProgramEstablished, ConsortiumSelected --------------------------------------------

TEST(Fold, ProgramEstablished_StartsWithTheWholeBudgetUncommitted) {
  Ledger ledger;
  v1::EventEnvelope event = ledger.Given(Program2023());
  const v1::ProgramSummary& program = Program2023In(ledger);
  EXPECT_EQ(program.name_ko(), "중견기업-지역 혁신 얼라이언스 지원사업");
  EXPECT_EQ(program.rules().consortium_annual_limit_krw(), kAnnualLimit2023Krw);
  EXPECT_EQ(program.uncommitted_krw(), kTotalBudget2023Krw);
  EXPECT_EQ(program.committed_krw(), 0);
  EXPECT_EQ(program.hiring_target(), 30);
  EXPECT_EQ(program.established_at().seconds(), At("2023-01-02T00:00:00Z").seconds());
  EXPECT_EQ(program.last_global_position(), event.global_position());
  EXPECT_EQ(ledger.last_changed().program_ids.count(std::string(kProgram2023)), 1u);
}

TEST(Fold, ConsortiumSelected_OpensOneFundingYearPerTermYearAndCommitsTheBudget) {
  Ledger ledger;
  ledger.Given2023();
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  EXPECT_EQ(chungnam.lead_participant_id(), Pid("kongju-univ"));
  EXPECT_EQ(chungnam.participants_size(), 5);
  EXPECT_EQ(chungnam.term_first_year(), 2023);
  EXPECT_EQ(chungnam.term_last_year(), 2027);
  ASSERT_EQ(chungnam.funding_by_year_size(), 5);
  for (int i = 0; i < 5; ++i) {
    const v1::YearFunding& year = chungnam.funding_by_year(i);
    EXPECT_EQ(year.program_year(), 2023 + i);
    EXPECT_EQ(year.annual_limit_krw(), kAnnualLimit2023Krw);
    EXPECT_EQ(year.remaining_krw(), kAnnualLimit2023Krw);
  }
  EXPECT_EQ(chungnam.limit_total_krw(), kConsortiumLimit2023Krw);
  EXPECT_EQ(chungnam.remaining_total_krw(), kConsortiumLimit2023Krw);
  EXPECT_EQ(chungnam.stream_version(), 1u);

  const v1::ProgramSummary& program = Program2023In(ledger);
  EXPECT_EQ(program.consortium_count(), 3);
  EXPECT_EQ(program.committed_krw(), 3 * kConsortiumLimit2023Krw);
  EXPECT_EQ(program.uncommitted_krw(), kTotalBudget2023Krw - 3 * kConsortiumLimit2023Krw);
  // Selected Chungnam, Gyeongnam, Ulsan; listed by region code.
  ASSERT_EQ(program.by_region_size(), 3);
  EXPECT_EQ(program.by_region(0).region_code(), "KR-31");
  EXPECT_EQ(program.by_region(0).region_name_ko(), "울산광역시");
  EXPECT_EQ(program.by_region(1).region_code(), "KR-44");
  EXPECT_EQ(program.by_region(2).region_code(), "KR-48");
  EXPECT_EQ(program.by_region(1).consortium_count(), 1);
  EXPECT_EQ(program.last_global_position(), 5u);  // program, round, three selections
}

// ---- Money ---------------------------------------------------------------------------------

TEST(Fold, Disbursements_AndAReversal_UpdateEveryTotal) {
  Ledger ledger = BusyLedger();
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  const v1::YearFunding& y2023 = chungnam.funding_by_year(0);
  EXPECT_EQ(y2023.disbursed_krw(), 1'000'000'000);  // 1.38 billion paid, 0.38 reversed
  EXPECT_EQ(y2023.remaining_krw(), 380'000'000);
  EXPECT_EQ(y2023.disbursement_count(), 2);
  EXPECT_EQ(y2023.reversal_count(), 1);
  const v1::YearFunding& y2024 = chungnam.funding_by_year(1);
  EXPECT_EQ(y2024.disbursed_krw(), 700'000'000);
  EXPECT_EQ(y2024.remaining_krw(), 680'000'000);
  EXPECT_EQ(chungnam.disbursed_total_krw(), 1'700'000'000);
  EXPECT_EQ(chungnam.remaining_total_krw(), 5'200'000'000);

  const v1::ProgramSummary& program = Program2023In(ledger);
  EXPECT_EQ(program.disbursed_total_krw(), 2'200'000'000);
  EXPECT_EQ(program.by_region(0).disbursed_krw(), 500'000'000);    // KR-31 Ulsan
  EXPECT_EQ(program.by_region(1).disbursed_krw(), 1'700'000'000);  // KR-44 Chungnam
  EXPECT_EQ(program.by_region(2).disbursed_krw(), 0);              // KR-48 Gyeongnam
  ASSERT_GE(program.by_year_size(), 2);
  EXPECT_EQ(program.by_year(0).program_year(), 2023);
  EXPECT_EQ(program.by_year(0).disbursed_krw(), 1'500'000'000);
  EXPECT_EQ(program.by_year(1).program_year(), 2024);
  EXPECT_EQ(program.by_year(1).disbursed_krw(), 700'000'000);
}

TEST(Fold, Disbursements_AreIndexedForReversalsAndReferences) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  EXPECT_TRUE(ledger.state().pending_rule_entries.empty());
  v1::EventEnvelope paid = ledger.Given(Disbursement(kChungnam, 2024, 5, "C-1"));
  // Two pending entries: the reference and the record.
  EXPECT_EQ(ledger.state().pending_rule_entries.size(), 2u);
  absl::StatusOr<std::optional<internal::v1::DisbursementRecord>> record =
      LookUpDisbursement(ledger.state(), paid.event_id());
  ASSERT_TRUE(record.ok() && record->has_value()) << record.status();
  EXPECT_EQ((*record)->consortium_id(), kChungnam);
  EXPECT_EQ((*record)->program_year(), 2024);
  EXPECT_EQ((*record)->amount_krw(), 5);
  EXPECT_EQ((*record)->payment_reference(), "C-1");
  EXPECT_FALSE((*record)->reversed());
  EXPECT_EQ(ledger.state().pending_rule_entries.at(PaymentRuleKey(kChungnam, "C-1")),
            paid.event_id());
  ledger.Given(Reversal(kChungnam, paid.event_id()));
  record = LookUpDisbursement(ledger.state(), paid.event_id());
  ASSERT_TRUE(record.ok() && record->has_value()) << record.status();
  EXPECT_TRUE((*record)->reversed());
  EXPECT_EQ((*record)->amount_krw(), 5);
}

TEST(Fold, Reversal_WritesTheReversedRecordFromTheEventAlone_ReadingNothing) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  v1::EventEnvelope paid = ledger.Given(Disbursement(kChungnam, 2024, 5, "C-1"));
  v1::EventEnvelope reversal = ledger.Given(Reversal(kChungnam, paid.event_id()));
  // Fold the reversal into a state that has never seen the disbursement's
  // entries (as recovery does, the entries being on disk): the record it
  // writes is the one the full fold wrote, and nothing is read.
  Ledger other;
  other.Given2023WithAgreements();
  other.Given(Disbursement(kChungnam, 2024, 5, "C-1"));
  other.Commit();
  const int reads_before = other.committed().reads;
  LedgerState state = other.state();  // reads through the same committed index
  ChangedModels changed;
  Fold(reversal, &state, &changed);
  EXPECT_EQ(other.committed().reads, reads_before);
  const std::string key = DisbursementRuleKey(paid.event_id());
  EXPECT_EQ(state.pending_rule_entries.size(), 1u);
  EXPECT_EQ(state.pending_rule_entries.at(key), ledger.state().pending_rule_entries.at(key));
}

TEST(Fold, ByYear_IsSortedWhenYearsArriveOutOfOrder) {
  Ledger ledger;
  ledger.Given2023();
  for (int year : {2026, 2023, 2025, 2024}) {
    ledger.Given(Agreement(kGyeongnam, year));
    ledger.Given(Disbursement(kGyeongnam, year, year, "G-" + std::to_string(year)));
  }
  const v1::ProgramSummary& program = Program2023In(ledger);
  ASSERT_EQ(program.by_year_size(), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(program.by_year(i).program_year(), 2023 + i);
    EXPECT_EQ(program.by_year(i).disbursed_krw(), 2023 + i);
  }
}

// ---- Labs and hires ----------------------------------------------------------------------------

TEST(Fold, Hires_AreListedAndCountedByRegionAndByYearOfHire) {
  Ledger ledger = BusyLedger();
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  ASSERT_EQ(chungnam.labs_size(), 1);
  EXPECT_EQ(chungnam.labs(0).university_participant_id(), Pid("kongju-univ"));
  ASSERT_EQ(chungnam.hires_size(), 2);
  EXPECT_EQ(chungnam.hires(0).researcher_id(), "kongju-2023-007");
  EXPECT_EQ(chungnam.hires(0).enterprise_participant_id(), Pid("conex"));
  EXPECT_EQ(chungnam.hires(0).hired_at().seconds(), At("2024-03-01T00:00:00Z").seconds());
  EXPECT_FALSE(chungnam.hires(0).event_id().empty());
  EXPECT_EQ(chungnam.hires(0).event_id(), ledger.log()[ledger.log().size() - 3].event_id());

  const v1::ProgramSummary& program = Program2023In(ledger);
  EXPECT_EQ(program.hire_count(), 3);
  EXPECT_EQ(program.by_region(0).hire_count(), 1);  // Ulsan
  EXPECT_EQ(program.by_region(1).hire_count(), 2);  // Chungnam
  ASSERT_EQ(program.by_year_size(), 3);             // 2023 money; 2024, 2025 hires
  EXPECT_EQ(program.by_year(0).hire_count(), 0);
  EXPECT_EQ(program.by_year(1).hire_count(), 2);  // 2024
  EXPECT_EQ(program.by_year(2).program_year(), 2025);
  EXPECT_EQ(program.by_year(2).hire_count(), 1);
}

TEST(Fold, StreamVersionAndGlobalPosition_FollowTheEnvelope) {
  Ledger ledger = BusyLedger();
  const v1::EventEnvelope& last = ledger.log().back();  // Ulsan's hire
  const v1::ConsortiumStatus& ulsan = ConsortiumIn(ledger, kUlsan);
  EXPECT_EQ(ulsan.stream_version(), 6u);  // selected, lab, agreement, enrolled, paid, hire
  EXPECT_EQ(ulsan.last_global_position(), last.global_position());
  // Gyeongnam has had nothing since its selection, at position 4.
  EXPECT_EQ(ConsortiumIn(ledger, kGyeongnam).last_global_position(), 4u);
  EXPECT_EQ(Program2023In(ledger).last_global_position(), last.global_position());
}

TEST(Fold, LabDesignated_ChangesOnlyTheConsortium) {
  Ledger ledger;
  ledger.Given2023();
  const uint64_t program_position = Program2023In(ledger).last_global_position();
  ledger.Given(Lab(kChungnam, "kongju-lab", Pid("kongju-univ")));
  EXPECT_TRUE(ledger.last_changed().program_ids.empty());
  EXPECT_EQ(ledger.last_changed().consortium_ids.count(std::string(kChungnam)), 1u);
  EXPECT_EQ(Program2023In(ledger).last_global_position(), program_position);
}

// ---- Events decided under older rules --------------------------------------------------------

// A log written before rounds, agreements and enrolments existed (store
// format 2) still folds: its models are rebuilt from it on open.
TEST(Fold,
     EventsOfTheFormerRules_SelectionWithoutRound_PaymentWithoutAgreement_HireWithoutEnrolment) {
  std::vector<v1::Event> events(5);
  *events[0].mutable_program_established() = Program2023().program();
  *events[1].mutable_consortium_selected() = Chungnam().selection();
  // Participant ids of the time were names, not registration numbers.
  events[1].mutable_consortium_selected()->set_lead_participant_id("kongju-univ");
  events[1].mutable_consortium_selected()->mutable_participants(0)->set_participant_id(
      "kongju-univ");
  events[1].mutable_consortium_selected()->mutable_participants(1)->set_participant_id("conex");
  *events[2].mutable_lab_designated() = Lab(kChungnam, "kongju-lab", "kongju-univ").designation();
  *events[3].mutable_funds_disbursed() =
      Disbursement(kChungnam, 2023, 500'000'000, "C-1").disbursement();
  *events[4].mutable_researcher_hired() = HireOf(kChungnam, "knu-1", "kongju-lab", "conex").hire();
  LedgerState state;
  ChangedModels changed;
  for (size_t i = 0; i < events.size(); ++i) {
    v1::EventEnvelope envelope;
    envelope.set_global_position(i + 1);
    envelope.set_stream_id(StreamOf(events[i]));
    envelope.set_stream_version(i == 0 ? 1 : i);
    envelope.set_event_id(EventIdFor(i + 1));
    const google::protobuf::OneofDescriptor* kind =
        events[i].GetDescriptor()->FindOneofByName("kind");
    envelope.set_event_type(events[i]
                                .GetReflection()
                                ->GetOneofFieldDescriptor(events[i], kind)
                                ->message_type()
                                ->name());
    *envelope.mutable_payload() = events[i];
    Fold(envelope, &state, &changed);
  }
  const v1::ConsortiumStatus& chungnam = state.consortia.at(std::string(kChungnam));
  EXPECT_EQ(chungnam.state(), v1::CONSORTIUM_STATE_ACTIVE);
  EXPECT_EQ(chungnam.funding_by_year(0).disbursed_krw(), 500'000'000);
  EXPECT_EQ(chungnam.funding_by_year(0).committed_krw(), 0);
  EXPECT_EQ(chungnam.funding_by_year(0).remaining_commitment_krw(), -500'000'000);
  ASSERT_EQ(chungnam.researchers_size(), 1);
  EXPECT_EQ(chungnam.researchers(0).stage(), v1::RESEARCHER_STAGE_HIRED);
  EXPECT_EQ(chungnam.researchers(0).lab_id(), "kongju-lab");
  EXPECT_EQ(chungnam.hire_count(), 1);
  ASSERT_EQ(chungnam.hires_size(), 1);
  const v1::ProgramSummary& program = state.programs.at(std::string(kProgram2023));
  EXPECT_EQ(program.consortium_count(), 1);
  EXPECT_TRUE(program.rounds().empty());
  EXPECT_EQ(program.hire_count(), 1);
  EXPECT_EQ(state.participants.at("conex").hire_count(), 1);
}

// ---- Rule keys and streams
// ---------------------------------------------------------------------------

TEST(Streams, StreamIds_NameTheProgramOrConsortium) {
  EXPECT_EQ(ProgramStreamId("alliance-2023"), "program-alliance-2023");
  EXPECT_EQ(ConsortiumStreamId("ulsan-secondary-batteries"),
            "consortium-ulsan-secondary-batteries");
}

TEST(ModelKeys, RuleKeys_NameTheIndexAndJoinPartsWithNul) {
  EXPECT_EQ(PaymentRuleKey("ulsan", "U-1"), "payment" + kNul + "ulsan" + kNul + "U-1");
  EXPECT_EQ(DisbursementRuleKey("9b2f#3"), "disbursement" + kNul + "9b2f#3");
}

}  // namespace
}  // namespace alliance::domain::testing
