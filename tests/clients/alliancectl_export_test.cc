// `alliancectl audit export` and `audit import` as an auditor runs them: the
// real binaries, a real allianced, the export file on disk. An import of an
// honest export rebuilds a store whose events, tree, read models and rule
// index are the original's byte for byte; an export altered in any way (an
// event rewritten with its bytes, an event dropped, two swapped, the head's
// signature) is refused before anything is written.
#include <google/protobuf/util/json_util.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "alliance/v1/audit.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/event_log.h"
#include "tests/storage/temp_dir.h"
#include "tests/support/allianced_process.h"
#include "tests/support/free_port.h"
#include "tests/support/test_access.h"

namespace alliance::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kServingBound = absl::Seconds(60);
constexpr absl::Duration kCallBound = absl::Seconds(60);
// The exit code of a failed audit check (clients/alliancectl.cc).
constexpr int kExitUntrusted = 3;
// The seed data set records 46 events.
constexpr size_t kSeedEvents = 46;

using CtlRun = ProgramRun;

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const std::string& line : lines) out << line << "\n";
}

std::unique_ptr<storage::EventLog> OpenReadOnly(const std::string& path) {
  storage::EventLogOptions options;
  options.read_only = true;
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log = storage::EventLog::Open(path, options);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

class AlliancectlExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", FreePort());
    absl::StatusOr<std::unique_ptr<AlliancedProcess>> started = AlliancedProcess::Start(
        ALLIANCED_PATH, {"--data_dir=" + dir_.Sub("store"), "--listen=" + address_}, dir_.path());
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    ASSERT_TRUE(server_->WaitServing(address_, absl::Now() + kServingBound).ok());
    ASSERT_EQ(Ctl({"seed"}).exit_code, 0);
    ASSERT_EQ(Audit({"key", "--pin_key=" + dir_.Sub("key.pem")}).exit_code, 0);
    export_path_ = dir_.Sub("history.ndjson");
    CtlRun exported = Audit({"export", "--out=" + export_path_});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
  }

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

  CtlRun Audit(std::vector<std::string> args) {
    args.insert(args.begin(), {"--pin_key=" + dir_.Sub("key.pem"),
                               "--head_file=" + dir_.Sub("head.textpb"), "audit"});
    return Ctl(std::move(args));
  }

  // Imports `path` into the folder `name`; the run.
  CtlRun Import(const std::string& path, const std::string& name) {
    return Audit({"import", path, "--data_dir=" + dir_.Sub(name)});
  }

  void StopServer() {
    ASSERT_TRUE(server_->Terminate().ok());
    ASSERT_TRUE(server_->Wait(absl::Now() + kServingBound).ok());
  }

  storage::TempDir dir_;
  std::string address_;
  std::unique_ptr<AlliancedProcess> server_;
  std::string export_path_;
  int runs_ = 0;
};

TEST_F(AlliancectlExportTest, AnImportRebuildsTheSameStoreByteForByte) {
  const std::vector<std::string> lines = Lines(export_path_);
  ASSERT_EQ(lines.size(), 1 + kSeedEvents + 1);  // key, events, head
  EXPECT_THAT(lines.front(), HasSubstr("\"key\""));
  EXPECT_THAT(lines.back(), HasSubstr("\"treeHead\""));

  CtlRun imported = Import(export_path_, "copy");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr(absl::StrCat("imported ", kSeedEvents, " events")));
  // A second import into the same folder: it holds events now.
  CtlRun again = Import(export_path_, "copy");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already holds"));

  StopServer();
  std::unique_ptr<storage::EventLog> original = OpenReadOnly(dir_.Sub("store"));
  std::unique_ptr<storage::EventLog> copy = OpenReadOnly(dir_.Sub("copy"));
  ASSERT_NE(original, nullptr);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->CurrentTreeHead().tree_size, original->CurrentTreeHead().tree_size);
  EXPECT_EQ(copy->CurrentTreeHead().root_hash, original->CurrentTreeHead().root_hash);
  absl::StatusOr<std::vector<storage::StoredEvent>> a = original->ReadStored(1, 1000);
  absl::StatusOr<std::vector<storage::StoredEvent>> b = copy->ReadStored(1, 1000);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) EXPECT_EQ((*a)[i].bytes, (*b)[i].bytes) << i;
  EXPECT_EQ(*copy->DumpModels(), *original->DumpModels());
  EXPECT_EQ(*copy->DumpRuleEntries(), *original->DumpRuleEntries());
}

TEST_F(AlliancectlExportTest, AnAlteredExportIsRefusedBeforeAnythingIsWritten) {
  const std::vector<std::string> lines = Lines(export_path_);
  ASSERT_GT(lines.size(), 10u);
  auto refused = [&](const std::vector<std::string>& altered, const std::string& name) {
    const std::string path = dir_.Sub(name + ".ndjson");
    WriteLines(path, altered);
    CtlRun run = Import(path, name);
    EXPECT_EQ(run.exit_code, kExitUntrusted) << name << ": " << run.out << run.err;
    EXPECT_FALSE(std::filesystem::exists(dir_.Sub(name))) << name << ": a store was written";
    return run.err;
  };

  // An event rewritten consistently: its decoded form and its bytes.
  std::vector<std::string> rewritten = lines;
  v1::ExportRecord record;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(rewritten[10], &record).ok());
  v1::EventEnvelope* event = record.mutable_event()->mutable_event();
  event->mutable_recorded_by()->set_principal("someone-else");
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    ASSERT_TRUE(event->SerializeToCodedStream(&coded));
  }
  record.mutable_event()->set_canonical_bytes(bytes);
  std::string line;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(record, &line).ok());
  rewritten[10] = line;
  EXPECT_THAT(refused(rewritten, "rewritten"), HasSubstr("altered"));

  // Only the readable part changed: it no longer matches the hashed bytes.
  std::vector<std::string> readable = lines;
  record.Clear();
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(readable[12], &record).ok());
  record.mutable_event()->mutable_event()->mutable_recorded_by()->set_principal("someone-else");
  line.clear();  // MessageToJsonString appends
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(record, &line).ok());
  readable[12] = line;
  EXPECT_THAT(refused(readable, "readable"), HasSubstr("canonical bytes"));

  std::vector<std::string> dropped = lines;
  dropped.erase(dropped.begin() + 20);
  refused(dropped, "dropped");

  std::vector<std::string> swapped = lines;
  std::swap(swapped[20], swapped[21]);
  refused(swapped, "swapped");

  std::vector<std::string> cut = lines;
  cut.pop_back();  // no signed head
  refused(cut, "cut");

  std::vector<std::string> forged = lines;
  record.Clear();
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(forged.back(), &record).ok());
  record.mutable_tree_head()->mutable_signature()->front() ^= 1;
  line.clear();
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(record, &line).ok());
  forged.back() = line;
  EXPECT_THAT(refused(forged, "forged"), HasSubstr("signature"));
}

}  // namespace
}  // namespace alliance::testing
