// RenderHistory and ReadProgress (clients/history.h) on hand-made events:
// the timeline's order, the corrections under what they correct, the
// totals, and when progress is shown. No server.
#include "clients/history.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace alliance::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kConsortium[] = "chungnam-future-vehicles";

// Seconds since the epoch at 00:00 UTC of a few days.
constexpr int64_t k2023_04_28 = 1682640000;
constexpr int64_t k2023_06_01 = 1685577600;
constexpr int64_t k2023_06_15 = 1686787200;
constexpr int64_t k2023_06_20 = 1687219200;
constexpr int64_t k2023_07_01 = 1688169600;
constexpr int64_t k2023_10_16 = 1697414400;
constexpr int64_t k2024_01_10 = 1704844800;

// An envelope of the consortium's stream at `version`, recorded by KIAT on
// 2024-01-10 plus `version` and a quarter seconds.
v1::EventEnvelope Envelope(uint64_t version, const std::string& event_id,
                           const std::string& event_type) {
  v1::EventEnvelope e;
  e.set_global_position(100 + version);
  e.set_stream_id(std::string("consortium-") + kConsortium);
  e.set_stream_version(version);
  e.set_event_id(event_id);
  e.set_event_type(event_type);
  e.mutable_recorded_at()->set_seconds(k2024_01_10 + static_cast<int64_t>(version));
  // Shown to the second.
  e.mutable_recorded_at()->set_nanos(250'000'000);
  e.mutable_recorded_by()->set_agency("KIAT");
  e.mutable_recorded_by()->set_principal("kiat-erp");
  return e;
}

v1::EventEnvelope Selected(uint64_t version) {
  v1::EventEnvelope e = Envelope(version, "sel", "ConsortiumSelected");
  auto* s = e.mutable_payload()->mutable_consortium_selected();
  s->set_consortium_id(kConsortium);
  s->set_program_id("alliance-2023");
  s->set_round_year(2023);
  s->set_region_code("KR-44");
  s->set_region_name_ko("충청남도");
  s->set_field_ko("미래차");
  s->set_lead_participant_id("3078374027");
  auto* lead = s->add_participants();
  lead->set_participant_id("3078374027");
  lead->set_name_ko("공주대학교");
  lead->set_role(v1::PARTICIPANT_ROLE_UNIVERSITY);
  s->mutable_occurred_at()->set_seconds(k2023_04_28);
  return e;
}

v1::EventEnvelope Agreement(uint64_t version, const std::string& id, int64_t grant, int64_t at) {
  v1::EventEnvelope e = Envelope(version, id, "AgreementSigned");
  auto* a = e.mutable_payload()->mutable_agreement_signed();
  a->set_consortium_id(kConsortium);
  a->set_program_year(2023);
  a->set_grant_krw(grant);
  a->set_agreement_reference("KIAT-AGR-2023-CN");
  a->mutable_occurred_at()->set_seconds(at);
  return e;
}

v1::EventEnvelope Amendment(uint64_t version, const std::string& id, const std::string& corrects,
                            int64_t previous, int64_t grant, int64_t at) {
  v1::EventEnvelope e = Envelope(version, id, "AgreementAmended");
  auto* a = e.mutable_payload()->mutable_agreement_amended();
  a->set_consortium_id(kConsortium);
  a->set_program_year(2023);
  a->set_previous_grant_krw(previous);
  a->set_grant_krw(grant);
  a->set_corrects_event_id(corrects);
  a->set_reason("award action 2023-17");
  a->mutable_occurred_at()->set_seconds(at);
  return e;
}

v1::EventEnvelope Payment(uint64_t version, const std::string& id, int64_t amount,
                          const std::string& reference, int64_t at) {
  v1::EventEnvelope e = Envelope(version, id, "FundsDisbursed");
  auto* d = e.mutable_payload()->mutable_funds_disbursed();
  d->set_consortium_id(kConsortium);
  d->set_program_year(2023);
  d->set_amount_krw(amount);
  d->set_payment_reference(reference);
  d->mutable_occurred_at()->set_seconds(at);
  return e;
}

v1::EventEnvelope Reversal(uint64_t version, const std::string& id, const std::string& corrects,
                           int64_t amount, const std::string& reference, int64_t at) {
  v1::EventEnvelope e = Envelope(version, id, "DisbursementReversed");
  auto* r = e.mutable_payload()->mutable_disbursement_reversed();
  r->set_consortium_id(kConsortium);
  r->set_corrects_event_id(corrects);
  r->set_program_year(2023);
  r->set_amount_krw(amount);
  r->set_payment_reference(reference);
  r->set_reason("paid twice by mistake");
  r->mutable_occurred_at()->set_seconds(at);
  return e;
}

// The stream in stream order: a reversal recorded last (#6) whose business
// date (2023-06-20) comes before the second payment's (#4, 2023-10-16), and
// an amendment (#5) of the agreement (#2).
std::vector<v1::EventEnvelope> Stream() {
  return {
      Selected(1),
      Agreement(2, "agr", 1'380'000'000, k2023_06_01),
      Payment(3, "pay-1", 690'000'000, "KIAT-2023-CN-001", k2023_06_15),
      Payment(4, "pay-2", 690'000'000, "KIAT-2023-CN-002", k2023_10_16),
      Amendment(5, "amd", "agr", 1'380'000'000, 1'200'000'000, k2023_07_01),
      Reversal(6, "rev", "pay-1", 690'000'000, "KIAT-2023-CN-001", k2023_06_20),
  };
}

std::vector<std::string> Lines(const std::string& text) { return absl::StrSplit(text, '\n'); }

// The index of the first line containing `needle`; -1 when none does.
int LineOf(const std::vector<std::string>& lines, absl::string_view needle) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StrContains(lines[i], needle)) return static_cast<int>(i);
  }
  return -1;
}

TEST(RenderHistoryTest, OrdersByBusinessDateThenStreamVersion) {
  // Given out of order: the rendering sorts.
  std::vector<v1::EventEnvelope> events = Stream();
  std::swap(events[0], events[5]);
  const std::vector<std::string> lines = Lines(RenderHistory(kConsortium, events));
  const int selected = LineOf(lines, "2023-04-28  #1");
  const int signed_at = LineOf(lines, "2023-06-01  #2");
  const int paid_1 = LineOf(lines, "2023-06-15  #3");
  const int reversed = LineOf(lines, "2023-06-20  #6");
  const int amended = LineOf(lines, "2023-07-01  #5");
  const int paid_2 = LineOf(lines, "2023-10-16  #4");
  ASSERT_GE(selected, 0);
  EXPECT_LT(selected, signed_at);
  EXPECT_LT(signed_at, paid_1);
  EXPECT_LT(paid_1, reversed);
  EXPECT_LT(reversed, amended);
  EXPECT_LT(amended, paid_2);
}

TEST(RenderHistoryTest, TiesOnTheDateGoInStreamOrder) {
  std::vector<v1::EventEnvelope> events = {
      Selected(1),
      Payment(3, "b", 2, "REF-B", k2023_06_15),
      Payment(2, "a", 1, "REF-A", k2023_06_15),
  };
  const std::vector<std::string> lines = Lines(RenderHistory(kConsortium, events));
  EXPECT_LT(LineOf(lines, "REF-A"), LineOf(lines, "REF-B"));
}

TEST(RenderHistoryTest, CorrectionsStandRightUnderWhatTheyCorrect) {
  const std::string text = RenderHistory(kConsortium, Stream());
  const std::vector<std::string> lines = Lines(text);
  const int paid_1 = LineOf(lines, "2023-06-15  #3");
  ASSERT_GE(paid_1, 0) << text;
  EXPECT_THAT(lines[paid_1], HasSubstr("funds disbursed"));
  EXPECT_THAT(lines[paid_1], HasSubstr("KIAT/kiat-erp"));
  EXPECT_THAT(lines[paid_1], HasSubstr("2024-01-10T00:00:03Z  year 2023"));
  EXPECT_THAT(lines[paid_1],
              HasSubstr("year 2023, 690,000,000 KRW (6.9억 원), payment ref KIAT-2023-CN-001"));
  // Indented to the event column, right under the payment.
  EXPECT_THAT(
      lines[paid_1 + 1],
      ::testing::MatchesRegex(" +↳ reversed by #6 on 2023-06-20 \\(paid twice by mistake\\)"));
  EXPECT_EQ(lines[paid_1 + 1].find("↳"), lines[paid_1].find("funds disbursed"));

  // The reversal's own line names what it reverses.
  const int reversed = LineOf(lines, "2023-06-20  #6");
  ASSERT_GE(reversed, 0);
  EXPECT_THAT(lines[reversed], HasSubstr("disbursement reversed"));
  EXPECT_THAT(lines[reversed], HasSubstr("reverses #3 of 2023-06-15: year 2023, 690,000,000 KRW"));
  EXPECT_THAT(lines[reversed], HasSubstr("reason: paid twice by mistake"));

  // The amendment: under the agreement, and naming it.
  const int signed_at = LineOf(lines, "2023-06-01  #2");
  ASSERT_GE(signed_at, 0);
  EXPECT_THAT(lines[signed_at + 1],
              HasSubstr("↳ amended by #5 on 2023-07-01 (award action 2023-17)"));
  const int amended = LineOf(lines, "2023-07-01  #5");
  EXPECT_THAT(lines[amended],
              HasSubstr("amends #2 of 2023-06-01: year 2023, grant 1,380,000,000 KRW (13.8억 원) "
                        "→ 1,200,000,000 KRW (12억 원)"));

  // The uncorrected payment has no correction line under it.
  const int paid_2 = LineOf(lines, "2023-10-16  #4");
  ASSERT_GE(paid_2, 0);
  EXPECT_THAT(lines[paid_2 + 1], Not(HasSubstr("↳")));
}

TEST(RenderHistoryTest, EndsWithTheTotals) {
  const std::string text = RenderHistory(kConsortium, Stream());
  EXPECT_THAT(text, HasSubstr("History of consortium chungnam-future-vehicles: 6 events"));
  EXPECT_THAT(text, HasSubstr("\nevents     6, 2 corrections\n"));
  EXPECT_THAT(text, HasSubstr("\npayments   1,380,000,000 KRW (13.8억 원), 2 payments\n"));
  EXPECT_THAT(text, HasSubstr("\nreversals    690,000,000 KRW (6.9억 원), 1 reversal\n"));
  EXPECT_THAT(text, HasSubstr("\nnet          690,000,000 KRW (6.9억 원)\n"));
}

TEST(RenderHistoryTest, NamesMembersAndStateChanges) {
  std::vector<v1::EventEnvelope> events = {Selected(1)};
  v1::EventEnvelope suspended = Envelope(2, "sus", "ConsortiumSuspended");
  suspended.mutable_payload()->mutable_consortium_suspended()->set_reason("audit\nfindings");
  suspended.mutable_payload()->mutable_consortium_suspended()->mutable_occurred_at()->set_seconds(
      k2023_07_01);
  events.push_back(suspended);
  const std::string text = RenderHistory(kConsortium, events);
  EXPECT_THAT(text, HasSubstr("lead 3078374027 공주대학교, 1 member; state → active"));
  // A newline in a reason stays on its line.
  EXPECT_THAT(text, HasSubstr("state active → suspended; reason: audit findings"));
}

TEST(RenderHistoryTest, ACorrectionOfAnEventNotInTheStreamSaysSo) {
  std::vector<v1::EventEnvelope> events = {Selected(1),
                                           Reversal(2, "rev", "elsewhere", 5, "REF", k2023_06_20)};
  EXPECT_THAT(RenderHistory(kConsortium, events),
              HasSubstr("reverses event elsewhere (not in this stream)"));
}

TEST(RenderHistoryTest, WithoutOccurredAtTheRecordedDateCounts) {
  v1::EventEnvelope completed = Envelope(1, "done", "ConsortiumCompleted");
  completed.mutable_payload()->mutable_consortium_completed();
  const std::vector<std::string> lines = Lines(RenderHistory(kConsortium, {completed}));
  EXPECT_GE(LineOf(lines, "2024-01-10  #1  consortium completed"), 0);
}

TEST(ReadProgressTest, ShownOnlyWhenEnabledAndLongerThanOnePage) {
  {
    std::ostringstream out;
    {
      ReadProgress progress(out, /*enabled=*/true);
      progress.Show({.pages = 1, .events_read = 12, .stream_version = 12, .last = true});
    }
    EXPECT_EQ(out.str(), "");
  }
  {
    std::ostringstream out;
    {
      ReadProgress progress(out, /*enabled=*/false);
      progress.Show({.pages = 1, .events_read = 1000, .stream_version = 1500, .last = false});
      progress.Show({.pages = 2, .events_read = 1500, .stream_version = 1500, .last = true});
    }
    EXPECT_EQ(out.str(), "");
  }
  std::ostringstream out;
  {
    ReadProgress progress(out, /*enabled=*/true);
    progress.Show({.pages = 1, .events_read = 1000, .stream_version = 1500, .last = false});
    progress.Show({.pages = 2, .events_read = 1500, .stream_version = 1500, .last = true});
  }
  EXPECT_EQ(out.str(), "\rread 1000 of 1500 events\033[K\rread 1500 of 1500 events\033[K\n");
}

}  // namespace
}  // namespace alliance::client
