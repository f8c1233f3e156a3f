// `alliancectl audit history` as a person runs it: the real binary against
// a real allianced on a fresh folder, seeded, a payment reversed through the
// CLI; the timeline shows the reversal under its payment, --json prints the
// events, an unknown consortium is refused, and a stream longer than one
// page is read whole.
#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/temp_dir.h"
#include "tests/support/allianced_process.h"
#include "tests/support/free_port.h"
#include "tests/support/test_access.h"

namespace alliance::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// Give-up bounds, never measured.
constexpr absl::Duration kServingBound = absl::Seconds(60);
constexpr absl::Duration kCallBound = absl::Seconds(60);

// The seed's Chungnam consortium and its first 2023 payment
// (clients/seed/alliance-2023.textpb): 690,000,000 KRW, KIAT-2023-CN-001,
// 2023-06-15.
constexpr char kChungnam[] = "chungnam-future-vehicles";
constexpr char kChungnamFirstPayment[] = "ae992dc0-1aa0-42ed-916f-59619ce24ab5";
// The seed's Gyeongnam consortium: its 2024 agreement has room left.
constexpr char kGyeongnam[] = "gyeongnam-metal-3d-printing";

using CtlRun = ProgramRun;

class AlliancectlHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", FreePort());
    absl::StatusOr<std::unique_ptr<AlliancedProcess>> server = AlliancedProcess::Start(
        ALLIANCED_PATH, {"--data_dir=" + dir_.Sub("store"), "--listen=" + address_}, dir_.path());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->WaitServing(address_, absl::Now() + kServingBound).ok());
  }

  // Runs alliancectl with `args` against the server.
  CtlRun Ctl(std::vector<std::string> args) {
    // As kiat unless the test says otherwise (a later --identity wins).
    const std::vector<std::string> access = TestAccess::Get().ClientFlags("kiat");
    args.insert(args.begin(), access.begin(), access.end());
    args.insert(args.begin(), "--server=" + address_);
    absl::StatusOr<ProgramRun> run =
        RunProgram(ALLIANCECTL_PATH, args, dir_.path(), absl::StrCat("ctl-", ++runs_),
                   absl::Now() + kCallBound);
    EXPECT_TRUE(run.ok()) << run.status();
    return run.value_or(ProgramRun{});
  }

  storage::TempDir dir_;
  std::string address_;
  std::unique_ptr<AlliancedProcess> server_;
  int runs_ = 0;
};

// The index of the first line containing `needle`; -1 when none does.
int LineOf(const std::vector<std::string>& lines, absl::string_view needle) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StrContains(lines[i], needle)) return static_cast<int>(i);
  }
  return -1;
}

TEST_F(AlliancectlHistoryTest, ShowsAReversalBesideItsPayment) {
  ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
  // A second KIAT system reverses, so the history names who recorded what.
  ASSERT_TRUE(TestAccess::Get()
                  .AddIdentity("test-kiat-2", "role: ROLE_MANAGING_AGENCY organisation: \"KIAT\"")
                  .ok());
  // allianced re-reads its registry on SIGHUP, and logs that it did.
  auto reads = [&] {
    const std::string log = server_->Stderr();
    size_t count = 0;
    for (size_t at = log.find("identity registry read"); at != std::string::npos;
         at = log.find("identity registry read", at + 1)) {
      ++count;
    }
    return count;
  };
  const size_t before = reads();
  ASSERT_TRUE(server_->Signal(SIGHUP).ok());
  for (int i = 0; i < 200 && reads() == before; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_GT(reads(), before) << server_->OutputTail();
  CtlRun reverse =
      Ctl({"--identity=test-kiat-2", "reverse", absl::StrCat("--consortium=", kChungnam),
           absl::StrCat("--event=", kChungnamFirstPayment), "--reason=paid twice by mistake",
           "--occurred_at=2023-06-20T00:00:00Z"});
  ASSERT_EQ(reverse.exit_code, 0) << reverse.err;

  CtlRun run = Ctl({"audit", "history", kChungnam});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Not a terminal: no progress line.
  EXPECT_EQ(run.err, "");
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n');
  EXPECT_THAT(run.out, HasSubstr("History of consortium chungnam-future-vehicles: 15 events"));

  // The payment (version 4 of the stream), then right under it its reversal.
  const int paid = LineOf(lines, "KIAT-2023-CN-001");
  ASSERT_GE(paid, 0) << run.out;
  EXPECT_THAT(lines[paid], MatchesRegex("2023-06-15  #4 +funds disbursed .*"));
  EXPECT_THAT(lines[paid], HasSubstr("year 2023, 690,000,000 KRW (6.9억 원)"));
  EXPECT_THAT(lines[paid + 1],
              MatchesRegex(" +↳ reversed by #15 on 2023-06-20 \\(paid twice by mistake\\)"));

  // The reversal at its own date, before the second 2023 payment, naming
  // what it reverses and who recorded it.
  const int reversed = LineOf(lines, "disbursement reversed");
  ASSERT_GE(reversed, 0);
  EXPECT_THAT(lines[reversed], MatchesRegex("2023-06-20  #15 .*"));
  EXPECT_THAT(lines[reversed], HasSubstr("/test-kiat-2"));
  EXPECT_THAT(lines[reversed], HasSubstr("reverses #4 of 2023-06-15: year 2023, 690,000,000 KRW"));
  EXPECT_LT(reversed, LineOf(lines, "KIAT-2023-CN-002"));

  // Four payments of 690,000,000 in the seed, one reversed.
  EXPECT_THAT(run.out, HasSubstr("\nevents     15, 1 correction\n"));
  EXPECT_THAT(run.out, HasSubstr("\npayments   2,760,000,000 KRW (27.6억 원), 4 payments\n"));
  EXPECT_THAT(run.out, HasSubstr("\nreversals    690,000,000 KRW (6.9억 원), 1 reversal\n"));
  EXPECT_THAT(run.out, HasSubstr("\nnet        2,070,000,000 KRW (20.7억 원)\n"));
}

TEST_F(AlliancectlHistoryTest, JsonPrintsOneEventALine) {
  ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
  CtlRun run = Ctl({"--json", "audit", "history", kChungnam});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 14u) << run.out;
  EXPECT_THAT(lines[0], HasSubstr("\"eventType\":\"ConsortiumSelected\""));
  EXPECT_THAT(lines[0], HasSubstr("\"streamVersion\":\"1\""));
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("\"eventId\":\"", kChungnamFirstPayment, "\"")));
  EXPECT_THAT(run.out, Not(HasSubstr("↳")));
}

TEST_F(AlliancectlHistoryTest, AnUnknownConsortiumIsRefused) {
  ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
  CtlRun run = Ctl({"audit", "history", "no-such-consortium"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("NOT_FOUND STREAM_NOT_FOUND"));
  EXPECT_EQ(run.out, "");

  CtlRun usage = Ctl({"audit", "history"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("audit history takes one argument: <consortium_id>"));
}

TEST_F(AlliancectlHistoryTest, ReadsAStreamLongerThanOnePage) {
  ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
  // A payment run of 1,000 payments of 1 KRW: the stream passes one page.
  const std::string file = dir_.Sub("run.textpb");
  {
    std::ofstream out(file);
    for (int i = 1; i <= 1000; ++i) {
      out << "disbursements { consortium_id: \"" << kGyeongnam
          << "\" program_year: 2024 amount_krw: 1 payment_reference: \"HIST-RUN-" << i
          << "\" occurred_at { seconds: 1719792000 } }\n";
    }
  }
  CtlRun batch = Ctl({"disburse-batch", "--file=" + file});
  ASSERT_EQ(batch.exit_code, 0) << batch.err;

  CtlRun json = Ctl({"--json", "audit", "history", kGyeongnam});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::vector<std::string> events = absl::StrSplit(json.out, '\n', absl::SkipEmpty());
  ASSERT_GT(events.size(), 1000u);
  const size_t total = events.size();
  EXPECT_THAT(events.back(), HasSubstr(absl::StrCat("\"streamVersion\":\"", total, "\"")));

  CtlRun run = Ctl({"audit", "history", kGyeongnam});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat(": ", total, " events by business date")));
  EXPECT_THAT(run.out, HasSubstr("HIST-RUN-1000"));
  // The seed reversed one Gyeongnam payment: "1014, 1 correction".
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("\nevents     ", total, ",")));
}

}  // namespace
}  // namespace alliance::testing
