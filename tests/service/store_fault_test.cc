// The ledger core when the store cannot write: a fault injected under the
// committer (a RocksDB FileSystem whose write-ahead log fails an append or a
// sync on demand), and a real full file system (a small tmpfs, mounted when
// the test runs as root, as CI does). Concurrent writers retry every
// UNAVAILABLE answer with the same event id, as ledger.h tells callers to;
// at the end every command is in the log exactly once, and the stored read
// models equal a fold of the log.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/errors/refusal.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "services/ledger/ledger.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/service/test_caller.h"
#include "tests/storage/temp_dir.h"
#include "tests/support/tmpfs.h"

namespace alliance {
namespace {

using domain::testing::Agreement;
using domain::testing::Chungnam;
using domain::testing::Disbursement;
using domain::testing::EventIdFor;
using domain::testing::kChungnam;
using domain::testing::PaymentRun;
using domain::testing::Program2023;
using domain::testing::Round;

// How long a test waits for something that should happen within seconds.
constexpr absl::Duration kWaitMax = absl::Seconds(60);
constexpr int kWriters = 8;

// ---- Fault injection under the committer ----------------------------------

class FailingFileSystem;

// A write-ahead-log file whose appends and syncs fail while its file system
// says so.
class FailingWalFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingWalFile(std::unique_ptr<rocksdb::FSWritableFile> file, FailingFileSystem* fs)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;

 private:
  FailingFileSystem* const fs_;
};

class FailingFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  FailingFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FailingFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = target()->NewWritableFile(name, options, file, dbg);
    if (status.ok() && absl::EndsWith(name, ".log")) {
      *file = std::make_unique<FailingWalFile>(std::move(*file), this);
    }
    return status;
  }

  // The next `count` appends to the WAL fail for want of space.
  void FailAppends(int count) { appends_to_fail_.store(count); }
  // The next `count` syncs of the WAL fail with an I/O error.
  void FailSyncs(int count) { syncs_to_fail_.store(count); }

  bool TakeAppendFailure() { return Take(&appends_to_fail_); }
  bool TakeSyncFailure() { return Take(&syncs_to_fail_); }

 private:
  static bool Take(std::atomic<int>* count) {
    int left = count->load();
    while (left > 0) {
      if (count->compare_exchange_weak(left, left - 1)) return true;
    }
    return false;
  }
  std::atomic<int> appends_to_fail_{0};
  std::atomic<int> syncs_to_fail_{0};
};

rocksdb::IOStatus FailingWalFile::Append(const rocksdb::Slice& data,
                                         const rocksdb::IOOptions& options,
                                         rocksdb::IODebugContext* dbg) {
  if (fs_->TakeAppendFailure()) return rocksdb::IOStatus::NoSpace("injected: no space left");
  return target()->Append(data, options, dbg);
}
rocksdb::IOStatus FailingWalFile::Append(const rocksdb::Slice& data,
                                         const rocksdb::IOOptions& options,
                                         const rocksdb::DataVerificationInfo& info,
                                         rocksdb::IODebugContext* dbg) {
  if (fs_->TakeAppendFailure()) return rocksdb::IOStatus::NoSpace("injected: no space left");
  return target()->Append(data, options, info, dbg);
}
rocksdb::IOStatus FailingWalFile::Sync(const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) {
  if (fs_->TakeSyncFailure()) return rocksdb::IOStatus::IOError("injected: sync failed");
  return target()->Sync(options, dbg);
}
rocksdb::IOStatus FailingWalFile::Fsync(const rocksdb::IOOptions& options,
                                        rocksdb::IODebugContext* dbg) {
  if (fs_->TakeSyncFailure()) return rocksdb::IOStatus::IOError("injected: sync failed");
  return target()->Fsync(options, dbg);
}

// ---- Commands and their answers -------------------------------------------

std::string ReasonOf(const absl::Status& status) {
  std::optional<RefusalDetails> details = GetRefusalDetails(status);
  return details ? details->reason : "";
}

// Submits `request` as RPC `method` and waits for the answer.
absl::StatusOr<AppendResult> RunCommand(Ledger& ledger, absl::string_view method,
                                        const google::protobuf::Message& request) {
  auto answer = std::make_shared<std::promise<absl::StatusOr<AppendResult>>>();
  std::future<absl::StatusOr<AppendResult>> result = answer->get_future();
  Command command;
  command.spec = domain::FindCommand(method);
  command.request = &request;
  command.caller =
      testing::TestCaller(*command.spec, request, [&ledger](const std::string& consortium_id) {
        auto published = ledger.Published();
        auto it = published->consortia->find(consortium_id);
        if (it == published->consortia->end()) return std::string();
        v1::ConsortiumStatus status;
        status.ParseFromString(it->second->bytes);
        return status.lead_participant_id();
      });
  command.done = [answer](absl::StatusOr<AppendResult> r) { answer->set_value(std::move(r)); };
  ledger.Submit(std::move(command));
  if (result.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    return absl::DeadlineExceededError("no answer within 60 s");
  }
  return result.get();
}

template <typename Request>
Request WithEventId(Request request, uint64_t n) {
  request.mutable_meta()->set_event_id(EventIdFor(n));
  return request;
}

// What the writers saw, for the checks at the end.
struct Tally {
  std::atomic<int> acknowledged{0};
  std::atomic<int> write_failed{0};  // STORE_WRITE_FAILED: outcome unknown
  std::atomic<int> unwritable{0};    // STORE_UNWRITABLE: refused at once
  std::atomic<int> replayed{0};      // a retry found its first try recorded
  std::atomic<int> other_errors{0};
};

// Sends `request` until it is acknowledged, retrying every UNAVAILABLE
// answer with the same event id (the contract of ledger.h), for at most
// kWaitMax. False when it never was.
bool SendUntilAcknowledged(Ledger& ledger, absl::string_view method,
                           const google::protobuf::Message& request, Tally* tally) {
  const absl::Time deadline = absl::Now() + kWaitMax;
  bool retried = false;
  while (absl::Now() < deadline) {
    absl::StatusOr<AppendResult> result = RunCommand(ledger, method, request);
    if (result.ok()) {
      ++tally->acknowledged;
      if (result->replayed) {
        ++tally->replayed;
        EXPECT_TRUE(retried) << "a first try answered as replayed";
      }
      return true;
    }
    const std::string reason = ReasonOf(result.status());
    if (reason == "STORE_WRITE_FAILED") {
      ++tally->write_failed;
    } else if (reason == "STORE_UNWRITABLE") {
      ++tally->unwritable;
    } else {
      ++tally->other_errors;
      ADD_FAILURE() << "unexpected answer: " << result.status();
      return false;
    }
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
    retried = true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// Polls `condition` until it holds or kWaitMax passed.
template <typename Condition>
bool Eventually(Condition condition) {
  const absl::Time deadline = absl::Now() + kWaitMax;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// Checks the log: every event id of `event_ids` exactly once, nothing else
// but the set-up's `setup_events` events, and read models equal to a fold.
void ExpectEachOnceAndModelsFolded(Ledger& ledger, const std::vector<std::string>& event_ids,
                                   uint64_t setup_events) {
  std::shared_ptr<storage::EventLog> log = ledger.log();
  absl::flat_hash_map<std::string, int> seen;
  uint64_t events = 0;
  ASSERT_TRUE(log->ForEachEvent(1,
                                [&](const v1::EventEnvelope& event) {
                                  ++events;
                                  // Event i > 0 of a payment run is "<id>#<i>": count commands.
                                  if (event.event_id().find('#') == std::string::npos)
                                    ++seen[event.event_id()];
                                  return absl::OkStatus();
                                })
                  .ok());
  for (const std::string& id : event_ids) {
    EXPECT_EQ(seen[id], 1) << "command " << id << " is in the log " << seen[id] << " times";
  }
  EXPECT_EQ(seen.size(), event_ids.size() + setup_events);
  absl::StatusOr<FoldedLog> folded = FoldLog(*log, /*with_rule_entries=*/true);
  ASSERT_TRUE(folded.ok()) << folded.status();
  EXPECT_TRUE(folded->models == *log->DumpModels()) << "read models differ from a fold";
  EXPECT_TRUE(folded->rule_entries == *log->DumpRuleEntries()) << "rule index differs";
  EXPECT_EQ(ledger.Published()->position, events);
}

// The 2023 program, Chungnam selected, its 2023 agreement: 4 commands.
constexpr uint64_t kSetupCommands = 4;
void SetUp2023(Ledger& ledger) {
  const auto program = WithEventId(Program2023(), 1);
  const auto round = WithEventId(Round(2023, 3), 2);
  const auto selection = WithEventId(Chungnam(), 3);
  const auto agreement = WithEventId(Agreement(kChungnam, 2023), 4);
  ASSERT_TRUE(RunCommand(ledger, "EstablishProgram", program).ok());
  ASSERT_TRUE(RunCommand(ledger, "OpenSelectionRound", round).ok());
  ASSERT_TRUE(RunCommand(ledger, "SelectConsortium", selection).ok());
  ASSERT_TRUE(RunCommand(ledger, "SignAgreement", agreement).ok());
}

class StoreFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = rocksdb::NewCompositeEnv(fs_);
    LedgerOptions options;
    options.store.env = env_.get();
    options.store_retry_interval = absl::Milliseconds(50);
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir_.Sub("store"), options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ledger_ = *std::move(ledger);
    SetUp2023(*ledger_);
  }
  void TearDown() override { ledger_.reset(); }

  // kWriters threads each send `per_writer` one-won payments (1 KRW each,
  // well inside the limits) while `inject` runs on this thread.
  template <typename Inject>
  std::vector<std::string> WriteWhile(int per_writer, Inject inject, Tally* tally) {
    std::vector<std::string> event_ids;
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      for (int i = 0; i < per_writer; ++i) event_ids.push_back(EventIdFor(1000 + w * 1000 + i));
      writers.emplace_back([this, w, per_writer, tally] {
        for (int i = 0; i < per_writer; ++i) {
          const auto payment =
              WithEventId(Disbursement(kChungnam, 2023, 1, absl::StrFormat("W%d-%d", w, i)),
                          1000 + w * 1000 + i);
          EXPECT_TRUE(SendUntilAcknowledged(*ledger_, "DisburseFunds", payment, tally));
        }
      });
    }
    inject();
    for (std::thread& writer : writers) writer.join();
    return event_ids;
  }

  // kWriters writers send their payments while `fail` breaks the store
  // once some are through; the store must then turn unwritable and become
  // writable again by itself, with every payment acknowledged in the end.
  std::vector<std::string> WriteThroughAFailure(const std::function<void()>& fail, Tally* tally) {
    std::vector<std::string> ids = WriteWhile(
        60,
        [&] {
          ASSERT_TRUE(
              Eventually([&] { return ledger_->Published()->position > kSetupCommands + 50; }));
          fail();
          ASSERT_TRUE(Eventually([&] { return tally->write_failed.load() > 0; }));
          ASSERT_TRUE(Eventually([&] { return ledger_->writable(); }));
        },
        tally);
    EXPECT_GE(tally->write_failed.load(), 1);
    EXPECT_EQ(tally->other_errors.load(), 0);
    EXPECT_EQ(tally->acknowledged.load(), static_cast<int>(ids.size()));
    EXPECT_TRUE(ledger_->writable());
    return ids;
  }

  storage::TempDir dir_;
  std::shared_ptr<FailingFileSystem> fs_ = std::make_shared<FailingFileSystem>();
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(StoreFaultTest, FailedWalAppend_NoSpace_WritesStopThenResumeWithNothingLostOrTwice) {
  Tally tally;
  std::atomic<int> writable_changes{0};
  ledger_->SetWritableListener([&](bool) { ++writable_changes; });
  // RocksDB recovers from a lack of space by itself once space is free
  // (here at once), and the ledger takes writes again.
  const std::vector<std::string> ids = WriteThroughAFailure([&] { fs_->FailAppends(1); }, &tally);
  EXPECT_GE(writable_changes.load(), 3);  // writable, unwritable, writable again
  ExpectEachOnceAndModelsFolded(*ledger_, ids, kSetupCommands);
}

TEST_F(StoreFaultTest, FailedWalSync_WritesStopThenResumeWithNothingLostOrTwice) {
  Tally tally;
  // RocksDB does not resume after a failed sync: the ledger reopens the store.
  const std::vector<std::string> ids = WriteThroughAFailure([&] { fs_->FailSyncs(1); }, &tally);
  ExpectEachOnceAndModelsFolded(*ledger_, ids, kSetupCommands);

  // And after a restart, the log holds the same: no failed batch came back
  // twice from the write-ahead log.
  ledger_.reset();
  LedgerOptions options;
  options.store.env = env_.get();
  absl::StatusOr<std::unique_ptr<Ledger>> reopened = Ledger::Open(dir_.Sub("store"), options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ledger_ = *std::move(reopened);
  ExpectEachOnceAndModelsFolded(*ledger_, ids, kSetupCommands);
}

TEST_F(StoreFaultTest, WhileUnwritable_WritesAreRefusedAtOnceAndReadsGoOn) {
  // A ledger given its log cannot reopen the store, and every sync fails:
  // the store stays unwritable (its one DB::Resume fails too) for as long
  // as the test looks.
  ledger_.reset();
  storage::EventLogOptions store;
  store.env = env_.get();
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(dir_.Sub("store"), store);
  ASSERT_TRUE(log.ok()) << log.status();
  LedgerOptions options;
  options.store_retry_interval = absl::Milliseconds(50);
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(*std::move(log), options);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  ledger_ = *std::move(ledger);
  fs_->FailSyncs(1'000'000);
  const auto first = WithEventId(Disbursement(kChungnam, 2023, 1, "U-1"), 500);
  absl::StatusOr<AppendResult> failed = RunCommand(*ledger_, "DisburseFunds", first);
  EXPECT_EQ(ReasonOf(failed.status()), "STORE_WRITE_FAILED") << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "retrying with the same event id"));
  ASSERT_TRUE(Eventually([&] { return !ledger_->writable(); }));

  const auto second = WithEventId(Disbursement(kChungnam, 2023, 1, "U-2"), 501);
  absl::StatusOr<AppendResult> refused = RunCommand(*ledger_, "DisburseFunds", second);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(refused.status()), "STORE_UNWRITABLE") << refused.status();
  // Reads go on, from the models as the last durable batch left them.
  std::shared_ptr<const PublishedModels> published = ledger_->Published();
  EXPECT_EQ(published->position, kSetupCommands);
  ASSERT_EQ(published->consortia->count(std::string(kChungnam)), 1u);
  v1::ConsortiumStatus chungnam;
  ASSERT_TRUE(chungnam.ParseFromString(published->consortia->at(std::string(kChungnam))->bytes));
  EXPECT_EQ(chungnam.disbursed_total_krw(), 0);
}

TEST(LedgerOpenTest, AStoreInUseByAnotherLedgerIsRefusedNotServedReadOnly) {
  storage::TempDir dir;
  absl::StatusOr<std::unique_ptr<Ledger>> first = Ledger::Open(dir.Sub("store"), {});
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<Ledger>> second = Ledger::Open(dir.Sub("store"), {});
  ASSERT_FALSE(second.ok()) << "a second ledger opened a store in use";
  EXPECT_TRUE(absl::StrContains(second.status().message(), "is another allianced using it?"))
      << second.status();
}

// ---- A real full file system ----------------------------------------------

using ::alliance::testing::Tmpfs;

// A tmpfs small enough to fill in seconds, and its size once space is
// "freed". RocksDB resumes once free space exceeds a memtable (8 MiB).
// (A tmpfs cannot shrink below what it holds: the restart's full disk is a
// filler file.)
constexpr int kFullDiskMib = 24;
constexpr int kFreedDiskMib = 96;
// Payments a writer's payment run carries: big commands fill the disk fast.
constexpr int kRunPayments = 200;

TEST(FullDiskTest, WritesStopWhenFullResumeWhenFreed_RestartOnFullDiskServesReads) {
  storage::TempDir dir;
  const std::string mount_point = dir.Sub("tmpfs");
  std::unique_ptr<Tmpfs> tmpfs = Tmpfs::Mount(mount_point, kFullDiskMib);
  if (tmpfs == nullptr) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root, as CI runs): the full-disk test is skipped";
  }
  const std::string store = mount_point + "/store";
  LedgerOptions options;
  options.store_retry_interval = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<Ledger>> opened = Ledger::Open(store, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Ledger> ledger = *std::move(opened);
  SetUp2023(*ledger);

  // Writers send payment runs until the disk is full; then the disk is
  // "freed" and they go on retrying their unanswered runs.
  Tally tally;
  std::atomic<bool> full{false};
  std::vector<std::string> ids;
  const int runs_per_writer = 80;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < runs_per_writer; ++i) ids.push_back(EventIdFor(100000 + w * 1000 + i));
    writers.emplace_back([&, w] {
      for (int i = 0; i < runs_per_writer; ++i) {
        const auto run =
            WithEventId(PaymentRun(kChungnam, 2023, std::vector<int64_t>(kRunPayments, 1),
                                   absl::StrFormat("R%d-%d", w, i)),
                        100000 + w * 1000 + i);
        EXPECT_TRUE(SendUntilAcknowledged(*ledger, "DisburseFundsBatch", run, &tally));
      }
    });
  }
  ASSERT_TRUE(Eventually([&] { return !ledger->writable(); }))
      << "the disk never filled: " << ledger->Published()->position << " events";
  full = true;
  // Reads go on while the store is full.
  v1::ConsortiumStatus chungnam;
  ASSERT_TRUE(
      chungnam.ParseFromString(ledger->Published()->consortia->at(std::string(kChungnam))->bytes));
  EXPECT_GT(chungnam.disbursed_total_krw(), 0);
  ASSERT_TRUE(tmpfs->Resize(kFreedDiskMib));
  for (std::thread& writer : writers) writer.join();
  EXPECT_TRUE(full);
  EXPECT_GE(tally.write_failed.load() + tally.unwritable.load(), 1);
  EXPECT_EQ(tally.other_errors.load(), 0);
  EXPECT_EQ(tally.acknowledged.load(), static_cast<int>(ids.size()));
  ExpectEachOnceAndModelsFolded(*ledger, ids, kSetupCommands);
  const uint64_t position = ledger->Published()->position;

  // A restart on a full disk: served read-only, writable once space is back.
  ledger.reset();
  {
    std::ofstream filler(mount_point + "/filler", std::ios::binary);
    const std::string block(1 << 20, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  opened = Ledger::Open(store, options);
  ASSERT_TRUE(opened.ok()) << "a start on a full disk must serve reads: " << opened.status();
  ledger = *std::move(opened);
  EXPECT_FALSE(ledger->writable());
  EXPECT_EQ(ledger->Published()->position, position);
  const auto after = WithEventId(Disbursement(kChungnam, 2023, 1, "AFTER-RESTART"), 200000);
  absl::StatusOr<AppendResult> refused = RunCommand(*ledger, "DisburseFunds", after);
  EXPECT_EQ(ReasonOf(refused.status()), "STORE_UNWRITABLE") << refused.status();
  std::filesystem::remove(mount_point + "/filler");
  ASSERT_TRUE(Eventually([&] { return ledger->writable(); }));
  absl::StatusOr<AppendResult> appended = RunCommand(*ledger, "DisburseFunds", after);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->first_global_position, position + 1);
  ledger.reset();
}

}  // namespace
}  // namespace alliance
