// alliancectl as a person runs it: the real binary against a real allianced
// on a fresh folder, each call a child process whose exit code and output
// are checked. The recording subcommands come from the command table
// (services/domain/commands.h) and their command lines; these tests hold
// them to what the README promises: flags in, a line out, usage errors
// exit 2 and send nothing, refusals exit 1 with their reason.
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

// Give-up bounds, never measured.
constexpr absl::Duration kServingBound = absl::Seconds(60);
constexpr absl::Duration kCallBound = absl::Seconds(60);

// The seed's Gyeongnam consortium: its 2024 agreement has room left.
constexpr char kGyeongnam[] = "gyeongnam-metal-3d-printing";

using CtlRun = ProgramRun;

class AlliancectlTest : public ::testing::Test {
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

  // The log's length, by the events subcommand: one globalPosition an event.
  size_t EventCount() {
    CtlRun run = Ctl({"--json", "events"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    size_t count = 0;
    for (size_t at = run.out.find("\"globalPosition\""); at != std::string::npos;
         at = run.out.find("\"globalPosition\"", at + 1)) {
      ++count;
    }
    return count;
  }

  storage::TempDir dir_;
  std::string address_;
  std::unique_ptr<AlliancedProcess> server_;
  int runs_ = 0;
};

TEST_F(AlliancectlTest, SeedsOnceAndASecondSeedRecordsNothing) {
  CtlRun first = Ctl({"seed"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("[1/46] establish-program alliance-2023"));
  EXPECT_THAT(first.out, HasSubstr("appended ProgramEstablished at position 1"));
  EXPECT_THAT(first.out, HasSubstr("46 appended, 0 already recorded"));

  CtlRun second = Ctl({"seed"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("already recorded (replayed): position 1"));
  EXPECT_THAT(second.out, HasSubstr("0 appended, 46 already recorded"));
}

TEST_F(AlliancectlTest, DisburseFromFlagsIsRecordedAndShown) {
  ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
  CtlRun run =
      Ctl({"disburse", absl::StrCat("--consortium=", kGyeongnam), "--year=2024",
           "--amount_krw=1000000", "--reference=CTL-TEST-1", "--occurred_at=2024-07-01T00:00:00Z"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("appended FundsDisbursed at position 47"));

  CtlRun status = Ctl({"--json", "status", kGyeongnam});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  // The seed paid 690,000,000 KRW for 2024; now one million more.
  EXPECT_THAT(status.out, HasSubstr("\"disbursedKrw\": \"691000000\""));
}

TEST_F(AlliancectlTest, MissingFlagsAreAUsageErrorAndSendNothing) {
  ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
  const size_t before = EventCount();
  CtlRun run = Ctl({"disburse", absl::StrCat("--consortium=", kGyeongnam), "--year=2024"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("disburse: missing --amount_krw, --reference"));
  // The usage lists every recording command, the payment run included.
  EXPECT_THAT(run.err, HasSubstr("disburse-batch     --file=req.textpb"));

  CtlRun degree = Ctl({"hire", "--consortium=c", "--researcher=r", "--degree=bachelor", "--lab=l",
                       "--enterprise=1"});
  EXPECT_EQ(degree.exit_code, 2);
  EXPECT_THAT(degree.err, HasSubstr("--degree=bachelor: want ms, ms-candidate, phd or"));
  EXPECT_EQ(EventCount(), before);
}

TEST_F(AlliancectlTest, ARefusalExitsOneWithItsReason) {
  ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
  const size_t before = EventCount();
  CtlRun run = Ctl({"--identity=ministry", "suspend", absl::StrCat("--consortium=", kGyeongnam),
                    "--reason=audit", "--occurred_at=2099-01-01T00:00:00Z"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("FAILED_PRECONDITION OCCURRED_IN_FUTURE"));
  // KIAT does not suspend: the rule is named.
  run = Ctl({"suspend", absl::StrCat("--consortium=", kGyeongnam), "--reason=audit"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("PERMISSION_DENIED ROLE_MAY_NOT_SUSPEND_CONSORTIUM"));
  EXPECT_EQ(EventCount(), before);
}

TEST_F(AlliancectlTest, APaymentRunFromAFile) {
  ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
  const std::string file = dir_.Sub("run.textpb");
  {
    std::ofstream out(file);
    for (int i = 1; i <= 2; ++i) {
      out << "disbursements { consortium_id: \"" << kGyeongnam
          << "\" program_year: 2024 amount_krw: 500000 payment_reference: \"CTL-RUN-" << i
          << "\" occurred_at { seconds: 1719792000 } }\n";
    }
  }
  CtlRun run = Ctl({"disburse-batch", "--file=" + file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("appended FundsDisbursed at position 48"));
  EXPECT_EQ(EventCount(), 48u);
}

}  // namespace
}  // namespace alliance::testing
