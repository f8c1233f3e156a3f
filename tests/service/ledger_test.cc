// The ledger core (services/ledger/ledger.h) over a real RocksDB store in a
// temporary folder, with the program's real commands and rules: the queue,
// group commit, the decider deciding one batch ahead of the disk, the
// answers of a failed write, the unwritable store and its resumption, and
// recovery at start.
//
// Two hooks make the interleavings deterministic instead of timed:
//  - the ledger's clock, read once per batch on the decider thread right
//    after the batch is taken and before any of it is decided: ClockGate
//    holds it there, so that the commands submitted meanwhile queue up and
//    are taken together as the next batch;
//  - FaultyEventLog, the real log behind a wrapper that can hold a Commit
//    (a slow disk), fail it (a full disk), refuse to resume, and signal when
//    the decider looks an event id up (which it does first when it decides
//    a new command, so a command submitted last is a probe: once it is
//    looked up, everything before it in its batch was decided).
#include "services/ledger/ledger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "alliance/v1/queries.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/errors/refusal.h"
#include "services/domain/commands.h"
#include "services/domain/funding.h"
#include "services/domain/rule_keys.h"
#include "services/domain/streams.h"
#include "storage/event_log.h"
#include "storage/model_keys.h"
#include "storage/mutex.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/service/test_caller.h"
#include "tests/storage/temp_dir.h"

namespace alliance {
namespace {

using domain::testing::Agreement;
using domain::testing::Chungnam;
using domain::testing::Disbursement;
using domain::testing::EventIdFor;
using domain::testing::Gyeongnam;
using domain::testing::Hypothetical;
using domain::testing::IsFieldRefusal;
using domain::testing::IsRefusal;
using domain::testing::kAnnualLimit2023Krw;
using domain::testing::kChungnam;
using domain::testing::kGyeongnam;
using domain::testing::kProgram2023;
using domain::testing::PaymentRun;
using domain::testing::Program;
using domain::testing::Program2023;
using domain::testing::Round;
using domain::testing::Rules2023;

// 2030-03-17T17:46:40.250Z: after every business date the fixtures use.
const absl::Time kNow = absl::FromUnixSeconds(1'900'000'000) + absl::Milliseconds(250);
// How long a test waits for something that should happen at once.
constexpr absl::Duration kWaitMax = absl::Seconds(30);
// Short, so that a store that may resume does so within a test's patience.
constexpr absl::Duration kStoreRetryInterval = absl::Milliseconds(10);

// Seed() appends the 2023 program, its first round, two consortia and their
// 2023 agreements: kSeedEvents events, after which each consortium's stream
// is at version kSeedVersion.
constexpr uint64_t kSeedEvents = 6;
constexpr uint64_t kSeedVersion = 2;
// A consortium no program selected: a payment to it is refused by the rules
// (CONSORTIUM_NOT_FOUND) and writes nothing, whatever else happened.
constexpr absl::string_view kNobody = "nobody";

const std::string& ChungnamStream() {
  static const std::string* const stream = new std::string(domain::ConsortiumStreamId(kChungnam));
  return *stream;
}

// The command's id: the seed uses 1..kSeedEvents, the tests 100 and up.
std::string Id(uint64_t n) { return EventIdFor(n); }

v1::ExpectedVersion NoStream() {
  v1::ExpectedVersion expected;
  expected.set_kind(v1::ExpectedVersion::KIND_NO_STREAM);
  return expected;
}

v1::ExpectedVersion Exact(uint64_t version) {
  v1::ExpectedVersion expected;
  expected.set_kind(v1::ExpectedVersion::KIND_EXACT);
  expected.set_version(version);
  return expected;
}

// `request` as the caller sends it: event id n, its expectation (none by
// default), correlation id "corr-<n>".
template <typename Request>
Request Meta(Request request, uint64_t n, v1::ExpectedVersion expected = {}) {
  v1::CommandMeta* meta = request.mutable_meta();
  meta->set_event_id(Id(n));
  *meta->mutable_expected_version() = std::move(expected);
  meta->set_correlation_id(absl::StrCat("corr-", n));
  return request;
}

// A 2023 payment.
v1::DisburseFundsRequest Pay(absl::string_view consortium_id, int64_t amount_krw,
                             absl::string_view payment_reference) {
  return Disbursement(consortium_id, 2023, amount_krw, payment_reference);
}

std::optional<std::string> ReasonOf(const absl::Status& status) {
  std::optional<RefusalDetails> details = GetRefusalDetails(status);
  if (!details) return std::nullopt;
  return details->reason;
}

// The answer to a command decided after an accepted command of a batch whose
// write failed, or in the batch after it: UNAVAILABLE, retry with the same id.
::testing::AssertionResult IsStoreWriteFailed(const absl::Status& status) {
  return IsRefusal(status, absl::StatusCode::kUnavailable, "STORE_WRITE_FAILED");
}

// A one-shot signal between threads, like absl::Notification (which TSan
// cannot see through Debian's Abseil: storage/mutex.h).
class Signal {
 public:
  void Notify() {
    MutexLock lock(&mu_);
    notified_ = true;
    changed_.SignalAll();
  }
  // False when kWaitMax passed first.
  bool Wait() {
    const absl::Time deadline = absl::Now() + kWaitMax;
    MutexLock lock(&mu_);
    while (!notified_) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      changed_.WaitFor(&mu_, left);
    }
    return true;
  }
  bool HasBeenNotified() {
    MutexLock lock(&mu_);
    return notified_;
  }

 private:
  Mutex mu_;
  CondVar changed_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
};

// The ledger's clock (LedgerOptions::clock), always kNow. Armed, the next
// batch's reading blocks until Release(): the decider has taken that batch
// and decided none of it, and whatever is submitted meanwhile waits in the
// queue to be taken together as the next batch. One use per test.
class ClockGate {
 public:
  absl::Time Now() {
    if (armed_.exchange(false)) {
      entered_.Notify();
      EXPECT_TRUE(released_.Wait()) << "the clock gate was never released";
    }
    return kNow;
  }
  void Arm() { armed_ = true; }
  bool WaitEntered() { return entered_.Wait(); }
  void Release() { released_.Notify(); }

 private:
  std::atomic<bool> armed_{false};
  Signal entered_;
  Signal released_;
};

// Fault injection: forwards everything to the real log, except that
//  - the first Commit after hold_next_commit is set waits for
//    commit_released (a slow disk), after signalling commit_entered and
//    keeping the rule-index keys it carries;
//  - while fail_commits is set, Commit fails without writing (a full disk);
//    with fail_after_write, it writes and then fails (a sync error after the
//    WAL record was written: the batch is in the store, though reported
//    lost). Either way WritableStatus() reports the failure, as RocksDB does,
//    until a Resume();
//  - Resume() fails while fail_resume is set;
//  - FindEventId of the watched id signals looked_up.
class FaultyEventLog final : public storage::EventLog {
 public:
  explicit FaultyEventLog(std::unique_ptr<storage::EventLog> log) : log_(std::move(log)) {}

  absl::Status Commit(const storage::CommitBatch& batch) override {
    ++commit_calls;
    if (hold_next_commit.exchange(false)) {
      {
        MutexLock lock(&mu_);
        for (const storage::ModelWrite& write : batch.rule_writes) {
          held_rule_keys_.push_back(write.key);
        }
      }
      commit_entered.Notify();
      EXPECT_TRUE(commit_released.Wait()) << "a held commit was never released";
    }
    if (fail_commits) return Fail();
    if (fail_after_write) {
      if (absl::Status written = log_->Commit(batch); !written.ok()) return written;
      return Fail();
    }
    return log_->Commit(batch);
  }

  absl::Status WritableStatus() override {
    {
      MutexLock lock(&mu_);
      if (!write_error_.ok()) return write_error_;
    }
    return log_->WritableStatus();
  }

  bool read_only() const override { return log_->read_only(); }

  absl::Status Resume() override {
    if (fail_resume) return absl::UnavailableError("injected: the disk is still full");
    {
      MutexLock lock(&mu_);
      write_error_ = absl::OkStatus();
    }
    absl::Status resumed = log_->Resume();
    if (resumed.ok()) ++resumes;
    return resumed;
  }

  absl::StatusOr<uint64_t> LastPosition() override { return log_->LastPosition(); }
  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadAll(uint64_t from_position,
                                                         size_t max_count) override {
    return log_->ReadAll(from_position, max_count);
  }
  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStream(absl::string_view stream_id,
                                                            uint64_t from_version,
                                                            size_t max_count) override {
    return log_->ReadStream(stream_id, from_version, max_count);
  }
  absl::Status ForEachEvent(
      uint64_t from_position,
      const std::function<absl::Status(const v1::EventEnvelope&)>& visit) override {
    return log_->ForEachEvent(from_position, visit);
  }
  absl::StatusOr<std::vector<storage::StoredEvent>> ReadStored(uint64_t from_position,
                                                               size_t max_count) override {
    return log_->ReadStored(from_position, max_count);
  }
  absl::StatusOr<std::vector<storage::StoredEvent>> ReadStreamStored(absl::string_view stream_id,
                                                                     uint64_t from_version,
                                                                     size_t max_count) override {
    return log_->ReadStreamStored(stream_id, from_version, max_count);
  }
  absl::StatusOr<storage::ModelCheckpoint> CheckpointAtOrBefore(uint64_t position) override {
    return log_->CheckpointAtOrBefore(position);
  }
  absl::Status TreeStatus() override { return log_->TreeStatus(); }
  storage::TreeHead CurrentTreeHead() override { return log_->CurrentTreeHead(); }
  absl::StatusOr<storage::MerkleHash> TreeRootAt(uint64_t tree_size) override {
    return log_->TreeRootAt(tree_size);
  }
  absl::StatusOr<std::vector<storage::MerkleHash>> InclusionPath(uint64_t leaf_index,
                                                                 uint64_t tree_size) override {
    return log_->InclusionPath(leaf_index, tree_size);
  }
  absl::StatusOr<std::vector<storage::MerkleHash>> ConsistencyPath(uint64_t first,
                                                                   uint64_t second) override {
    return log_->ConsistencyPath(first, second);
  }
  absl::StatusOr<storage::TreeVerification> VerifyTree(
      uint64_t trusted_size, const std::function<bool(uint64_t, uint64_t)>& progress) override {
    return log_->VerifyTree(trusted_size, progress);
  }
  absl::StatusOr<std::optional<storage::EventIdRecord>> FindEventId(
      absl::string_view event_id) override {
    bool watched = false;
    {
      MutexLock lock(&mu_);
      watched = !watched_event_id_.empty() && event_id == watched_event_id_;
    }
    if (watched) looked_up.Notify();
    return log_->FindEventId(event_id);
  }
  absl::StatusOr<uint64_t> StreamVersion(absl::string_view stream_id) override {
    return log_->StreamVersion(stream_id);
  }
  absl::StatusOr<std::optional<std::string>> GetModel(absl::string_view key) override {
    return log_->GetModel(key);
  }
  absl::StatusOr<std::optional<std::string>> GetRuleEntry(absl::string_view key) override {
    return log_->GetRuleEntry(key);
  }
  std::unique_ptr<storage::ModelSnapshot> SnapshotModels() override {
    return log_->SnapshotModels();
  }
  absl::Status ReplaceModels(
      const std::vector<std::pair<std::string, std::string>>& models,
      const std::vector<std::pair<std::string, std::string>>* rule_entries) override {
    return log_->ReplaceModels(models, rule_entries);
  }
  bool ModelsOutdated() override { return log_->ModelsOutdated(); }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpModels() override {
    return log_->DumpModels();
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpRuleEntries() override {
    return log_->DumpRuleEntries();
  }

  // Signals looked_up when the decider looks `event_id` up. One per test.
  void WatchLookUp(const std::string& event_id) {
    MutexLock lock(&mu_);
    watched_event_id_ = event_id;
  }
  // The rule-index keys of the held commit.
  std::vector<std::string> held_rule_keys() {
    MutexLock lock(&mu_);
    return held_rule_keys_;
  }

  std::atomic<int> commit_calls{0};
  std::atomic<bool> hold_next_commit{false};
  Signal commit_entered;
  Signal commit_released;
  std::atomic<bool> fail_commits{false};
  std::atomic<bool> fail_after_write{false};
  std::atomic<bool> fail_resume{false};
  // Successful Resume() calls: each is a reload of the ledger's state.
  std::atomic<int> resumes{0};
  Signal looked_up;

 private:
  absl::Status Fail() {
    const absl::Status error = absl::UnavailableError("injected: disk full");
    MutexLock lock(&mu_);
    write_error_ = error;
    return error;
  }

  const std::unique_ptr<storage::EventLog> log_;
  Mutex mu_;
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);
  std::string watched_event_id_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> held_rule_keys_ ABSL_GUARDED_BY(mu_);
};

// One command's answer, waited for on the test's thread, and the read
// models Published() showed when it was given (read-your-writes).
class Answer {
 public:
  explicit Answer(const Ledger* ledger) : ledger_(ledger) {}

  std::function<void(absl::StatusOr<AppendResult>)> Done() {
    return [this](absl::StatusOr<AppendResult> result) {
      std::shared_ptr<const PublishedModels> published = ledger_->Published();
      {
        MutexLock lock(&mu_);
        ++calls_;
        result_ = std::move(result);
        published_ = std::move(published);
      }
      answered_.Notify();
    };
  }
  // The answer, once `done` was called (fails the test after kWaitMax).
  absl::StatusOr<AppendResult> Get() {
    EXPECT_TRUE(answered_.Wait()) << "no answer within " << kWaitMax;
    MutexLock lock(&mu_);
    EXPECT_EQ(calls_, 1);
    return result_;
  }
  // What Published() showed when the answer was given.
  std::shared_ptr<const PublishedModels> PublishedAtAnswer() {
    EXPECT_TRUE(answered_.Wait()) << "no answer within " << kWaitMax;
    MutexLock lock(&mu_);
    return published_;
  }
  bool HasBeenCalled() { return answered_.HasBeenNotified(); }

 private:
  const Ledger* const ledger_;
  Signal answered_;
  Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  absl::StatusOr<AppendResult> result_ ABSL_GUARDED_BY(mu_) = absl::UnknownError("no answer");
  std::shared_ptr<const PublishedModels> published_ ABSL_GUARDED_BY(mu_);
};

// What the writable listener was told, in order.
class WritableHistory {
 public:
  std::function<void(bool)> Listener() {
    return [this](bool writable) {
      MutexLock lock(&mu_);
      history_.push_back(writable);
      changed_.SignalAll();
    };
  }
  // The history once it holds `count` reports, or as it stands after kWaitMax.
  std::vector<bool> WaitForCount(size_t count) {
    const absl::Time deadline = absl::Now() + kWaitMax;
    MutexLock lock(&mu_);
    while (history_.size() < count) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      changed_.WaitFor(&mu_, left);
    }
    return history_;
  }

 private:
  Mutex mu_;
  CondVar changed_;
  std::vector<bool> history_ ABSL_GUARDED_BY(mu_);
};

using DecideFunction = decltype(domain::CommandSpec::decide);

class LedgerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // A test that failed half-way must not leave the decider or the
    // committer held, or the ledger's Stop() would wait for them.
    clock_.Release();
    if (faulty_ != nullptr) faulty_->commit_released.Notify();
    ledger_.reset();
    faulty_ = nullptr;
  }

  // Opens the ledger on the test's store folder (created on the first call)
  // behind a FaultyEventLog, with the gated clock and a short retry interval.
  void OpenLedger(LedgerOptions options = {}) {
    absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
        storage::EventLog::Open(dir_.Sub("store"), storage::EventLogOptions{});
    ASSERT_TRUE(log.ok()) << log.status();
    auto faulty = std::make_unique<FaultyEventLog>(*std::move(log));
    FaultyEventLog* faulty_log = faulty.get();
    options.clock = [this] { return clock_.Now(); };
    options.store_retry_interval = kStoreRetryInterval;
    absl::StatusOr<std::unique_ptr<Ledger>> ledger =
        Ledger::Open(std::move(faulty), std::move(options));
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ledger_ = *std::move(ledger);
    faulty_ = faulty_log;
  }

  // Closes the ledger and its store and opens them again, as a restart does.
  void RestartLedger(LedgerOptions options = {}) {
    ledger_.reset();
    faulty_ = nullptr;
    OpenLedger(std::move(options));
  }

  // The 2023 program, its round, Chungnam and Gyeongnam and their 2023
  // agreements, so that payments can be made: kSeedEvents events.
  void Seed() {
    ASSERT_TRUE(Append(Meta(Program2023(), 1)).ok());
    ASSERT_TRUE(Append(Meta(Round(2023, 3), 2)).ok());
    ASSERT_TRUE(Append(Meta(Chungnam(), 3)).ok());
    ASSERT_TRUE(Append(Meta(Gyeongnam(), 4)).ok());
    ASSERT_TRUE(Append(Meta(Agreement(kChungnam, 2023), 5)).ok());
    ASSERT_TRUE(Append(Meta(Agreement(kGyeongnam, 2023), 6)).ok());
    ASSERT_EQ(LastPosition(), kSeedEvents);
  }

  // `name`'s row of the command table with its rules replaced by `decide`:
  // a rule with a bug, or one that must not run. Kept by the fixture, which
  // outlives the ledger, because a command names its spec until answered.
  const domain::CommandSpec& WithRules(absl::string_view name, DecideFunction decide) {
    MutexLock lock(&mu_);
    domain::CommandSpec& spec = specs_.emplace_back(*domain::FindCommand(name));
    spec.decide = decide;
    return spec;
  }

  // Hands `request` to the ledger under its command's spec (checking first
  // that it is valid, as the services do); the answer comes later.
  // The lead participant of a consortium as the ledger publishes it; "" when
  // it holds none.
  std::string LeadOf(const std::string& consortium_id) {
    std::shared_ptr<const PublishedModels> published = ledger_->Published();
    auto it = published->consortia->find(consortium_id);
    if (it == published->consortia->end()) return "";
    v1::ConsortiumStatus status;
    EXPECT_TRUE(status.ParseFromString(it->second->bytes));
    return status.lead_participant_id();
  }

  template <typename Request>
  Answer& Submit(Request request) {
    return SubmitWith(SpecOf(*Request::descriptor()), std::move(request));
  }
  template <typename Request>
  Answer& SubmitWith(const domain::CommandSpec& spec, Request request) {
    EXPECT_TRUE(spec.validate(request).ok()) << spec.validate(request);
    return SubmitUnchecked(spec, std::make_unique<Request>(std::move(request)));
  }
  // Without the services' validation: what the core must still refuse.
  Answer& SubmitUnchecked(const domain::CommandSpec& spec,
                          std::unique_ptr<google::protobuf::Message> request) {
    Command command;
    command.spec = &spec;
    command.request = request.get();
    command.caller = testing::TestCaller(
        spec, *request, [this](const std::string& consortium_id) { return LeadOf(consortium_id); });
    Answer* answer = nullptr;
    {
      // The request and the answer are kept by the fixture: they must
      // outlive `done`, which may come after a failed test's body returned.
      MutexLock lock(&mu_);
      requests_.push_back(std::move(request));
      answer = answers_.emplace_back(std::make_unique<Answer>(ledger_.get())).get();
    }
    command.done = answer->Done();
    ledger_->Submit(std::move(command));
    return *answer;
  }

  // Submits and waits for the answer.
  template <typename Request>
  absl::StatusOr<AppendResult> Append(Request request) {
    return Submit(std::move(request)).Get();
  }
  template <typename Request>
  absl::StatusOr<AppendResult> AppendWith(const domain::CommandSpec& spec, Request request) {
    return SubmitWith(spec, std::move(request)).Get();
  }

  // Submits `blocker` and holds the decider in the clock of the batch that
  // took it, so that what is submitted next queues up behind it; then
  // ReleaseDecider() lets the queue be taken as one batch.
  template <typename Request>
  Answer& HoldDeciderWith(Request blocker) {
    clock_.Arm();
    Answer& answer = Submit(std::move(blocker));
    EXPECT_TRUE(clock_.WaitEntered()) << "the decider never read the clock";
    return answer;
  }
  // Once `queued` commands wait, releases the decider.
  void ReleaseDecider(size_t queued) {
    WaitForQueueDepth(queued);
    clock_.Release();
  }

  // A command refused by the rules (a payment to kNobody) with id n, watched:
  // submitted last, once the decider looks it up every command before it in
  // its batch was decided.
  Answer& SubmitProbe(uint64_t n) {
    faulty_->WatchLookUp(Id(n));
    return Submit(Meta(Pay(kNobody, 1'000'000, "PROBE"), n));
  }

  void WaitForQueueDepth(size_t depth) {
    const absl::Time deadline = absl::Now() + kWaitMax;
    while (ledger_->QueueDepth() != depth && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    ASSERT_EQ(ledger_->QueueDepth(), depth);
  }

  // Once the store resumed (every kStoreRetryInterval the decider asks).
  void WaitUntilWritable() {
    const absl::Time deadline = absl::Now() + kWaitMax;
    while (!ledger_->writable() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    ASSERT_TRUE(ledger_->writable()) << "the store did not resume within " << kWaitMax;
  }

  std::shared_ptr<storage::EventLog> log() { return ledger_->log(); }
  uint64_t LastPosition() { return *log()->LastPosition(); }

  // The consortium's disbursed total as stored with its events; -1 when the
  // store holds no model of it.
  int64_t StoredDisbursedKrw(absl::string_view consortium_id) {
    absl::StatusOr<std::optional<std::string>> value = log()->GetModel(
        storage::EncodeKey(storage::ModelKey{"consortium", std::string(consortium_id)}));
    EXPECT_TRUE(value.ok()) << value.status();
    if (!value.ok() || !value->has_value()) return -1;
    v1::ConsortiumStatus status;
    EXPECT_TRUE(status.ParseFromString(**value));
    return status.disbursed_total_krw();
  }

  // The same in published read models; -1 when they hold none.
  static int64_t DisbursedKrw(const PublishedModels& published, absl::string_view consortium_id) {
    auto it = published.consortia->find(std::string(consortium_id));
    if (it == published.consortia->end()) return -1;
    v1::ConsortiumStatus status;
    EXPECT_TRUE(status.ParseFromString(it->second->bytes));
    return status.disbursed_total_krw();
  }
  int64_t PublishedDisbursedKrw(absl::string_view consortium_id) {
    return DisbursedKrw(*ledger_->Published(), consortium_id);
  }

  static const domain::CommandSpec& SpecOf(const google::protobuf::Descriptor& request_type) {
    for (const domain::CommandSpec& spec : domain::Commands()) {
      if (spec.request_type == &request_type) return spec;
    }
    ADD_FAILURE() << "no command takes " << request_type.full_name();
    return domain::Commands().front();
  }

  // Declared before the ledger, so destroyed after it: the ledger calls
  // into them until it stops.
  storage::TempDir dir_;
  ClockGate clock_;
  WritableHistory writable_history_;
  Mutex mu_;
  std::deque<domain::CommandSpec> specs_ ABSL_GUARDED_BY(mu_);
  std::deque<std::unique_ptr<google::protobuf::Message>> requests_ ABSL_GUARDED_BY(mu_);
  std::deque<std::unique_ptr<Answer>> answers_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Ledger> ledger_;
  FaultyEventLog* faulty_ = nullptr;  // owned by ledger_
};

// ---- One command ----------------------------------------------------------------

TEST_F(LedgerTest, SingleAppendIsDurableWithItsEnvelope) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  const v1::EstablishProgramRequest request = Meta(Program2023(), 1);
  absl::StatusOr<AppendResult> result = Append(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->event_id, Id(1));
  EXPECT_EQ(result->stream_id, domain::ProgramStreamId(kProgram2023));
  EXPECT_EQ(result->first_stream_version, 1u);
  EXPECT_EQ(result->last_stream_version, 1u);
  EXPECT_EQ(result->first_global_position, 1u);
  EXPECT_EQ(result->last_global_position, 1u);
  EXPECT_EQ(result->recorded_at, kNow);
  EXPECT_FALSE(result->replayed);

  std::vector<v1::EventEnvelope> events = *log()->ReadAll(1, 10);
  ASSERT_EQ(events.size(), 1u);
  const v1::EventEnvelope& event = events[0];
  EXPECT_EQ(event.global_position(), 1u);
  EXPECT_EQ(event.stream_id(), domain::ProgramStreamId(kProgram2023));
  EXPECT_EQ(event.stream_version(), 1u);
  EXPECT_EQ(event.event_id(), Id(1));
  EXPECT_EQ(event.event_type(), "ProgramEstablished");
  EXPECT_EQ(event.recorded_at().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(event.recorded_at().nanos(), 250000000);
  // The ministry establishes programs (services/domain/authority.h).
  EXPECT_EQ(event.recorded_by().agency(), "MOTIE");
  EXPECT_EQ(event.recorded_by().principal(), "ministry");
  EXPECT_EQ(event.correlation_id(), "corr-1");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      event.payload().program_established(), request.program()));
  // The program's read model was written in the same commit, and published.
  absl::StatusOr<std::optional<std::string>> model =
      log()->GetModel(storage::EncodeKey(storage::ModelKey{"program", std::string(kProgram2023)}));
  ASSERT_TRUE(model.ok() && model->has_value());
  v1::ProgramSummary program;
  ASSERT_TRUE(program.ParseFromString(**model));
  EXPECT_EQ(program.program_id(), kProgram2023);
  EXPECT_EQ(ledger_->Published()->position, 1u);
  EXPECT_TRUE(ledger_->Published()->programs->contains(std::string(kProgram2023)));
  EXPECT_EQ(faulty_->commit_calls.load(), 1);
}

TEST_F(LedgerTest, PositionsAreGlobalAcrossStreams) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  absl::StatusOr<AppendResult> a1 = Append(Meta(Pay(kChungnam, 10'000'000, "PAY-A1"), 101));
  absl::StatusOr<AppendResult> b1 = Append(Meta(Pay(kGyeongnam, 20'000'000, "PAY-B1"), 102));
  absl::StatusOr<AppendResult> a2 = Append(Meta(Pay(kChungnam, 30'000'000, "PAY-A2"), 103));
  ASSERT_TRUE(a1.ok() && b1.ok() && a2.ok());
  EXPECT_EQ(a1->first_global_position, kSeedEvents + 1);
  EXPECT_EQ(b1->first_global_position, kSeedEvents + 2);
  EXPECT_EQ(a2->first_global_position, kSeedEvents + 3);
  EXPECT_EQ(a1->first_stream_version, kSeedVersion + 1);
  EXPECT_EQ(b1->first_stream_version, kSeedVersion + 1);
  EXPECT_EQ(a2->first_stream_version, kSeedVersion + 2);
  EXPECT_EQ(*log()->StreamVersion(ChungnamStream()), kSeedVersion + 2);
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 40'000'000);
  EXPECT_EQ(StoredDisbursedKrw(kGyeongnam), 20'000'000);
}

TEST_F(LedgerTest, ExpectedVersionAnyNoStreamAndExact) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  // All on the program's stream, which the first command creates.
  ASSERT_TRUE(Append(Meta(Program2023(), 1, NoStream())).ok());

  absl::StatusOr<AppendResult> again = Append(Meta(Round(2023, 3), 2, NoStream()));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(again.status()), "WRONG_EXPECTED_VERSION");
  EXPECT_EQ(again.status().message(),
            "stream program-alliance-2023 is at version 1; the command expected no stream");

  absl::StatusOr<AppendResult> exact = Append(Meta(Round(2023, 3), 3, Exact(1)));
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->first_stream_version, 2u);

  absl::StatusOr<AppendResult> stale = Append(Meta(Round(2024, 3), 4, Exact(1)));
  EXPECT_TRUE(IsRefusal(stale.status(), absl::StatusCode::kAborted, "WRONG_EXPECTED_VERSION",
                        {{"stream_id", "program-alliance-2023"},
                         {"expected_version", "1"},
                         {"actual_version", "2"}}));

  ASSERT_TRUE(Append(Meta(Round(2024, 3), 5)).ok());  // KIND_ANY
  // The refused commands wrote nothing, not even their event ids.
  EXPECT_EQ(LastPosition(), 3u);
  EXPECT_FALSE(log()->FindEventId(Id(2))->has_value());
  EXPECT_FALSE(log()->FindEventId(Id(4))->has_value());
}

// ---- Event ids ------------------------------------------------------------------

TEST_F(LedgerTest, SameIdSameContentReplaysTheOriginalResult) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  const v1::DisburseFundsBatchRequest run =
      Meta(PaymentRun(kChungnam, 2023, {1'000'000, 2'000'000, 3'000'000}, "RUN"), 101);
  absl::StatusOr<AppendResult> original = Append(run);
  ASSERT_TRUE(original.ok()) << original.status();
  ASSERT_TRUE(Append(Meta(Pay(kChungnam, 5'000'000, "PAY-2"), 102)).ok());
  const int commits = faulty_->commit_calls.load();

  // The same command under rules that fail the test if they run: a retry
  // is answered from the log, not decided again.
  const domain::CommandSpec& not_decided_again =
      WithRules("DisburseFundsBatch",
                [](const domain::LedgerState&, const google::protobuf::Message&,
                   absl::Time) -> absl::StatusOr<std::vector<v1::Event>> {
                  ADD_FAILURE() << "a replayed command is not decided again";
                  return absl::InternalError("decided");
                });
  absl::StatusOr<AppendResult> replayed = AppendWith(not_decided_again, run);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(replayed->replayed);
  EXPECT_EQ(replayed->event_id, Id(101));
  EXPECT_EQ(replayed->stream_id, ChungnamStream());
  EXPECT_EQ(replayed->first_global_position, kSeedEvents + 1);
  EXPECT_EQ(replayed->last_global_position, kSeedEvents + 3);
  EXPECT_EQ(replayed->first_stream_version, kSeedVersion + 1);
  EXPECT_EQ(replayed->last_stream_version, kSeedVersion + 3);
  EXPECT_EQ(replayed->recorded_at, kNow);
  EXPECT_EQ(LastPosition(), kSeedEvents + 4);
  EXPECT_EQ(faulty_->commit_calls.load(), commits);  // nothing written
}

TEST_F(LedgerTest, SameIdOtherContentIsRefused) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  ASSERT_TRUE(Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101)).ok());
  absl::StatusOr<AppendResult> reused = Append(Meta(Pay(kGyeongnam, 10'000'000, "PAY-9"), 101));
  EXPECT_TRUE(
      IsRefusal(reused.status(), absl::StatusCode::kAlreadyExists, "EVENT_ID_REUSED",
                {{"event_id", Id(101)}, {"global_position", absl::StrCat(kSeedEvents + 1)}}));
  EXPECT_EQ(LastPosition(), kSeedEvents + 1);
}

TEST_F(LedgerTest, DuplicateIdsInsideOneBatch) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  const int commits = faulty_->commit_calls.load();
  Answer& blocker = HoldDeciderWith(Meta(Pay(kGyeongnam, 10'000'000, "PAY-Z"), 100));
  Answer& first = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-D"), 101));
  Answer& retry = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-D"), 101));
  Answer& reused = Submit(Meta(Pay(kChungnam, 20'000'000, "PAY-E"), 101));
  ReleaseDecider(3);

  ASSERT_TRUE(blocker.Get().ok()) << blocker.Get().status();
  ASSERT_TRUE(first.Get().ok()) << first.Get().status();
  EXPECT_FALSE(first.Get()->replayed);
  EXPECT_EQ(first.Get()->first_global_position, kSeedEvents + 2);
  ASSERT_TRUE(retry.Get().ok()) << retry.Get().status();
  EXPECT_TRUE(retry.Get()->replayed);
  EXPECT_EQ(retry.Get()->first_global_position, kSeedEvents + 2);
  EXPECT_EQ(retry.Get()->first_stream_version, kSeedVersion + 1);
  EXPECT_EQ(reused.Get().status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(reused.Get().status()), "EVENT_ID_REUSED");
  EXPECT_EQ(LastPosition(), kSeedEvents + 2);
  EXPECT_EQ(faulty_->commit_calls.load(), commits + 2);
}

// ---- What a command appends -----------------------------------------------------

TEST_F(LedgerTest, MultiEventCommand) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());  // events of other streams come first
  absl::StatusOr<AppendResult> result =
      Append(Meta(PaymentRun(kChungnam, 2023, {1'000'000, 2'000'000, 3'000'000}, "RUN"), 101));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->first_global_position, kSeedEvents + 1);
  EXPECT_EQ(result->last_global_position, kSeedEvents + 3);
  EXPECT_EQ(result->first_stream_version, kSeedVersion + 1);
  EXPECT_EQ(result->last_stream_version, kSeedVersion + 3);

  std::vector<v1::EventEnvelope> events =
      *log()->ReadStream(ChungnamStream(), kSeedVersion + 1, 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event_id(), Id(101));
  EXPECT_EQ(events[1].event_id(), Id(101) + "#1");
  EXPECT_EQ(events[2].event_id(), Id(101) + "#2");
  for (const v1::EventEnvelope& event : events) EXPECT_EQ(event.event_type(), "FundsDisbursed");
  std::optional<storage::EventIdRecord> record = *log()->FindEventId(Id(101));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->first_global_position, kSeedEvents + 1);
  EXPECT_EQ(record->event_count, 3u);
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 6'000'000);
}

TEST_F(LedgerTest, DecideRefusalPassesThroughAndWritesNothing) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  // On an empty log no consortium exists: the rules refuse the payment, and
  // the caller gets their refusal unchanged.
  const v1::DisburseFundsRequest request = Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101);
  absl::StatusOr<AppendResult> result = Append(request);
  const absl::Status rules_say =
      domain::DecideDisburseFunds(domain::LedgerState(), request).status();
  EXPECT_EQ(result.status(), rules_say);
  EXPECT_TRUE(IsRefusal(result.status(), absl::StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", std::string(kChungnam)}}));

  // Rules that break their contract (1 to kCommandEventsMax events, each of
  // a kind) fail their command INTERNAL, not the ledger.
  const domain::CommandSpec& no_event =
      WithRules("DisburseFunds",
                [](const domain::LedgerState&, const google::protobuf::Message&, absl::Time)
                    -> absl::StatusOr<std::vector<v1::Event>> { return std::vector<v1::Event>(); });
  EXPECT_EQ(AppendWith(no_event, Meta(Pay(kChungnam, 1'000'000, "PAY-2"), 102)).status().code(),
            absl::StatusCode::kInternal);
  const domain::CommandSpec& too_many =
      WithRules("DisburseFunds",
                [](const domain::LedgerState&, const google::protobuf::Message& request,
                   absl::Time) -> absl::StatusOr<std::vector<v1::Event>> {
                  std::vector<v1::Event> events(domain::kCommandEventsMax + 1);
                  for (v1::Event& event : events) {
                    *event.mutable_funds_disbursed() =
                        static_cast<const v1::DisburseFundsRequest&>(request).disbursement();
                  }
                  return events;
                });
  EXPECT_EQ(AppendWith(too_many, Meta(Pay(kChungnam, 1'000'000, "PAY-3"), 103)).status().code(),
            absl::StatusCode::kInternal);
  const domain::CommandSpec& no_kind =
      WithRules("DisburseFunds",
                [](const domain::LedgerState&, const google::protobuf::Message&,
                   absl::Time) -> absl::StatusOr<std::vector<v1::Event>> {
                  return std::vector<v1::Event>(1);
                });
  EXPECT_EQ(AppendWith(no_kind, Meta(Pay(kChungnam, 1'000'000, "PAY-4"), 104)).status().code(),
            absl::StatusCode::kInternal);

  EXPECT_EQ(LastPosition(), 0u);
  EXPECT_EQ(faulty_->commit_calls.load(), 0);
  EXPECT_TRUE(log()->DumpModels()->empty());
}

TEST_F(LedgerTest, MalformedRequestIsRefused) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  // The services validate before they submit; the core still refuses what it
  // cannot file: a command without an event id, or without a stream.
  auto no_id = std::make_unique<v1::EstablishProgramRequest>(Program2023());
  EXPECT_TRUE(IsFieldRefusal(
      SubmitUnchecked(*domain::FindCommand("EstablishProgram"), std::move(no_id)).Get().status(),
      "MISSING_FIELD", "meta.event_id"));
  // An empty payment run names no consortium, so no stream.
  auto no_stream =
      std::make_unique<v1::DisburseFundsBatchRequest>(Meta(v1::DisburseFundsBatchRequest(), 101));
  EXPECT_TRUE(IsFieldRefusal(
      SubmitUnchecked(*domain::FindCommand("DisburseFundsBatch"), std::move(no_stream))
          .Get()
          .status(),
      "MISSING_FIELD", "stream"));
  EXPECT_EQ(LastPosition(), 0u);
}

// ---- Batches --------------------------------------------------------------------

TEST_F(LedgerTest, RefusalInTheMiddleOfABatchDoesNotFailTheOthers) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  const int commits = faulty_->commit_calls.load();
  Answer& blocker = HoldDeciderWith(Meta(Pay(kGyeongnam, 10'000'000, "PAY-Z"), 100));
  Answer& before = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  // Within the year's limit alone, over it after `before`, decided earlier
  // in the same batch.
  Answer& refused = Submit(Meta(Pay(kChungnam, kAnnualLimit2023Krw, "PAY-2"), 102));
  // The stream is at kSeedVersion + 1 after `before`.
  Answer& wrong_version = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-3"), 103, NoStream()));
  Answer& after = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-4"), 104, Exact(kSeedVersion + 1)));
  ReleaseDecider(4);

  ASSERT_TRUE(blocker.Get().ok()) << blocker.Get().status();
  ASSERT_TRUE(before.Get().ok()) << before.Get().status();
  EXPECT_EQ(before.Get()->first_global_position, kSeedEvents + 2);
  EXPECT_EQ(ReasonOf(refused.Get().status()), "ANNUAL_LIMIT_EXCEEDED");
  EXPECT_EQ(ReasonOf(wrong_version.Get().status()), "WRONG_EXPECTED_VERSION");
  ASSERT_TRUE(after.Get().ok()) << after.Get().status();
  EXPECT_EQ(after.Get()->first_global_position, kSeedEvents + 3);
  EXPECT_EQ(after.Get()->first_stream_version, kSeedVersion + 2);
  // One commit for the blocker, one for the batch of four.
  EXPECT_EQ(faulty_->commit_calls.load(), commits + 2);
  EXPECT_EQ(LastPosition(), kSeedEvents + 3);
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 20'000'000);
}

TEST_F(LedgerTest, ManyThreadsGetContiguousPositions) {
  constexpr int kThreads = 8;
  constexpr int kCommandsPerThread = 200;
  constexpr int kCommands = kThreads * kCommandsPerThread;
  constexpr int64_t kAmountKrw = 1'000'000;
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  // A program big enough for one consortium (one stream) per thread, in
  // regions the program does not exclude.
  v1::ProgramRules rules = Rules2023();
  rules.set_total_budget_krw(kThreads * rules.consortium_limit_krw());
  ASSERT_TRUE(Append(Meta(Program(kProgram2023, rules), 1)).ok());
  ASSERT_TRUE(Append(Meta(Round(2023, kThreads), 2)).ok());
  const char* const kRegions[kThreads] = {"KR-26", "KR-27", "KR-29", "KR-30",
                                          "KR-31", "KR-42", "KR-43", "KR-44"};
  for (int t = 0; t < kThreads; ++t) {
    const std::string consortium_id = absl::StrCat("thread-", t);
    ASSERT_TRUE(Append(Meta(Hypothetical(consortium_id, kRegions[t]), 10 + t)).ok());
    ASSERT_TRUE(Append(Meta(Agreement(consortium_id, 2023), 20 + t)).ok());
  }
  const uint64_t seeded = LastPosition();
  ASSERT_EQ(seeded, 2u + 2 * kThreads);

  std::vector<std::vector<Answer*>> answers(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommandsPerThread; ++i) {
        answers[t].push_back(
            &Submit(Meta(Pay(absl::StrCat("thread-", t), kAmountKrw, absl::StrCat("T-", i)),
                         1000 + t * kCommandsPerThread + i)));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<uint64_t> positions;
  int failures = 0;
  for (const std::vector<Answer*>& of_thread : answers) {
    for (Answer* answer : of_thread) {
      absl::StatusOr<AppendResult> result = answer->Get();  // exactly one answer each
      if (result.ok()) {
        positions.push_back(result->first_global_position);
      } else {
        ++failures;
        ADD_FAILURE() << result.status();
      }
    }
  }
  EXPECT_EQ(failures, 0);
  std::sort(positions.begin(), positions.end());
  std::vector<uint64_t> expected(kCommands);
  std::iota(expected.begin(), expected.end(), seeded + 1);
  EXPECT_EQ(positions, expected);

  EXPECT_EQ(LastPosition(), seeded + kCommands);
  EXPECT_EQ(log()->ReadAll(seeded + 1, kCommands + 1)->size(), static_cast<size_t>(kCommands));
  for (int t = 0; t < kThreads; ++t) {
    const std::string consortium_id = absl::StrCat("thread-", t);
    std::vector<v1::EventEnvelope> events =
        *log()->ReadStream(domain::ConsortiumStreamId(consortium_id), 1, kCommands);
    // Its selection and agreement, then the thread's payments.
    ASSERT_EQ(events.size(), static_cast<size_t>(2 + kCommandsPerThread));
    for (size_t v = 0; v < events.size(); ++v) EXPECT_EQ(events[v].stream_version(), v + 1);
    EXPECT_EQ(StoredDisbursedKrw(consortium_id), kCommandsPerThread * kAmountKrw);
    EXPECT_EQ(PublishedDisbursedKrw(consortium_id), kCommandsPerThread * kAmountKrw);
  }
}

// ---- The queue and Stop() -------------------------------------------------------

TEST_F(LedgerTest, FullQueueAnswersResourceExhaustedAtOnce) {
  LedgerOptions options;
  options.queue_capacity = 2;
  ASSERT_NO_FATAL_FAILURE(OpenLedger(options));
  ASSERT_NO_FATAL_FAILURE(Seed());
  Answer& blocker = HoldDeciderWith(Meta(Pay(kGyeongnam, 10'000'000, "PAY-Z"), 100));
  Answer& queued1 = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  Answer& queued2 = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-2"), 102));
  Answer& rejected = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-3"), 103));
  // Answered on this thread, before Submit returned.
  ASSERT_TRUE(rejected.HasBeenCalled());
  EXPECT_EQ(rejected.Get().status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(rejected.Get().status()), "APPEND_QUEUE_FULL");
  EXPECT_EQ(ledger_->QueueDepth(), 2u);

  ReleaseDecider(2);
  EXPECT_TRUE(blocker.Get().ok());
  EXPECT_TRUE(queued1.Get().ok());
  EXPECT_TRUE(queued2.Get().ok());
  EXPECT_EQ(LastPosition(), kSeedEvents + 3);
}

TEST_F(LedgerTest, SubmitAfterStopIsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ledger_->Stop();
  ledger_->Stop();  // idempotent
  Answer& answer = Submit(Meta(Program2023(), 1));
  ASSERT_TRUE(answer.HasBeenCalled());
  EXPECT_EQ(answer.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(answer.Get().status()), "SHUTTING_DOWN");
  EXPECT_EQ(LastPosition(), 0u);  // reads go on after Stop()
}

TEST_F(LedgerTest, StopDrainsTheQueuedCommands) {
  constexpr int kQueued = 5;
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  Answer& blocker = HoldDeciderWith(Meta(Pay(kGyeongnam, 10'000'000, "PAY-Z"), 100));
  std::vector<Answer*> queued;
  for (int i = 0; i < kQueued; ++i) {
    queued.push_back(&Submit(Meta(Pay(kChungnam, 1'000'000, absl::StrCat("PAY-", i)), 101 + i)));
  }

  std::thread stopper([&] { ledger_->Stop(); });
  // Wait until Stop() has shut the door: a probe is then refused at once.
  std::vector<Answer*> probes;
  const absl::Time deadline = absl::Now() + kWaitMax;
  for (;;) {
    probes.push_back(&Submit(Meta(Pay(kGyeongnam, 1'000'000, absl::StrCat("PROBE-", probes.size())),
                                  200 + probes.size())));
    if (probes.back()->HasBeenCalled() || absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(1));
  }
  const int probes_accepted = static_cast<int>(probes.size()) - 1;
  EXPECT_EQ(ReasonOf(probes.back()->Get().status()), "SHUTTING_DOWN");
  EXPECT_FALSE(queued[0]->HasBeenCalled());

  clock_.Release();
  stopper.join();
  // Every command queued before Stop() was decided and written.
  EXPECT_TRUE(blocker.Get().ok());
  for (Answer* answer : queued) EXPECT_TRUE(answer->Get().ok()) << answer->Get().status();
  for (int i = 0; i < probes_accepted; ++i) EXPECT_TRUE(probes[i]->Get().ok());
  EXPECT_EQ(LastPosition(), kSeedEvents + 1 + kQueued + probes_accepted);
}

// ---- The pipeline: deciding while the batch before is written -------------------

// While one batch is being written, the next is decided against the state
// the first left (its positions, versions and event ids), and nobody is
// answered before their batch is durable.
TEST_F(LedgerTest, NextBatchIsDecidedAgainstTheBatchBeingWritten) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  faulty_->hold_next_commit = true;
  Answer& first = HoldDeciderWith(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  Answer& next = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-2"), 102, Exact(kSeedVersion + 1)));
  Answer& retry = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  Answer& reused = Submit(Meta(Pay(kChungnam, 20'000'000, "PAY-1"), 101));
  Answer& probe = SubmitProbe(103);
  ReleaseDecider(4);
  ASSERT_TRUE(faulty_->commit_entered.Wait());  // `first` is being written
  ASSERT_TRUE(faulty_->looked_up.Wait());       // the next batch was decided meanwhile
  // Not synchronization: time for a wrong implementation to answer early.
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(first.HasBeenCalled()) << "answered before its batch was durable";
  EXPECT_FALSE(next.HasBeenCalled()) << "answered before the batch before it was durable";
  EXPECT_FALSE(retry.HasBeenCalled()) << "replayed a command that is not durable yet";
  EXPECT_FALSE(reused.HasBeenCalled());
  EXPECT_EQ(LastPosition(), kSeedEvents);

  faulty_->commit_released.Notify();
  ASSERT_TRUE(first.Get().ok()) << first.Get().status();
  EXPECT_EQ(first.Get()->first_global_position, kSeedEvents + 1);
  // The expected version held: the version of the batch that was in flight.
  ASSERT_TRUE(next.Get().ok()) << next.Get().status();
  EXPECT_EQ(next.Get()->first_global_position, kSeedEvents + 2);
  EXPECT_EQ(next.Get()->first_stream_version, kSeedVersion + 2);
  ASSERT_TRUE(retry.Get().ok()) << retry.Get().status();
  EXPECT_TRUE(retry.Get()->replayed);
  EXPECT_EQ(retry.Get()->first_global_position, kSeedEvents + 1);
  EXPECT_EQ(ReasonOf(reused.Get().status()), "EVENT_ID_REUSED");
  EXPECT_EQ(ReasonOf(probe.Get().status()), "CONSORTIUM_NOT_FOUND");
  EXPECT_EQ(LastPosition(), kSeedEvents + 2);
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 20'000'000);
}

// The rule-index entries of the batch being written (here: a payment
// reference's use) count for the next batch before they are on disk, and
// from the disk once they are.
TEST_F(LedgerTest, PaymentReferenceOfTheBatchBeingWrittenIsUsedBeforeAndAfterItIsDurable) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  const std::string key = domain::PaymentRuleKey(kChungnam, "PAY-1");
  faulty_->hold_next_commit = true;
  Answer& paid = HoldDeciderWith(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  Answer& paid_again = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 102));
  SubmitProbe(103);
  ReleaseDecider(2);
  ASSERT_TRUE(faulty_->commit_entered.Wait());
  ASSERT_TRUE(faulty_->looked_up.Wait());  // `paid_again` was decided
  // Handed over, not yet on disk: the entry is in the commit being written.
  const std::vector<std::string> held = faulty_->held_rule_keys();
  EXPECT_NE(std::find(held.begin(), held.end(), key), held.end());
  EXPECT_FALSE(log()->GetRuleEntry(key)->has_value());

  faulty_->commit_released.Notify();
  ASSERT_TRUE(paid.Get().ok()) << paid.Get().status();
  EXPECT_TRUE(IsRefusal(paid_again.Get().status(), absl::StatusCode::kAlreadyExists,
                        "PAYMENT_REFERENCE_ALREADY_USED", {{"original_event_id", Id(101)}}));

  // Written: the next batch finds the entry on disk.
  ASSERT_EQ(*log()->GetRuleEntry(key), std::optional<std::string>(Id(101)));
  absl::StatusOr<AppendResult> later = Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 104));
  EXPECT_TRUE(IsRefusal(later.status(), absl::StatusCode::kAlreadyExists,
                        "PAYMENT_REFERENCE_ALREADY_USED", {{"original_event_id", Id(101)}}));
  EXPECT_EQ(LastPosition(), kSeedEvents + 1);
}

// ---- A failed write -------------------------------------------------------------

TEST_F(LedgerTest, FailedCommitAnswersUnavailableAndRecovers) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  const auto models_before = *log()->DumpModels();
  faulty_->fail_resume = true;  // unwritable until the test lets it resume

  // The blocker is refused by the rules, so nothing is written for it and
  // the batch of four is the first commit to fail.
  Answer& blocker = HoldDeciderWith(Meta(Pay(kNobody, 1'000'000, "PAY-Z"), 100));
  faulty_->fail_commits = true;
  Answer& accepted_a = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-A"), 101));
  Answer& accepted_b = Submit(Meta(Pay(kGyeongnam, 20'000'000, "PAY-B"), 102));
  Answer& refused = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-C"), 103, NoStream()));
  Answer& retry_in_batch = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-A"), 101));
  ReleaseDecider(4);

  EXPECT_EQ(ReasonOf(blocker.Get().status()), "CONSORTIUM_NOT_FOUND");
  // `refused` was decided after an accepted command of the failed batch, so
  // its refusal stood only if the batch was written: UNAVAILABLE too.
  for (Answer* answer : {&accepted_a, &accepted_b, &refused, &retry_in_batch}) {
    EXPECT_TRUE(IsStoreWriteFailed(answer->Get().status()));
    EXPECT_TRUE(absl::StrContains(answer->Get().status().message(), "injected: disk full"))
        << answer->Get().status();
  }
  EXPECT_EQ(LastPosition(), kSeedEvents);
  EXPECT_EQ(*log()->DumpModels(), models_before);
  EXPECT_FALSE(ledger_->writable());

  // Once the store resumes, the next append goes where the failed batch
  // would have.
  faulty_->fail_commits = false;
  faulty_->fail_resume = false;
  ASSERT_NO_FATAL_FAILURE(WaitUntilWritable());
  absl::StatusOr<AppendResult> next = Append(Meta(Pay(kChungnam, 10'000'000, "PAY-A"), 101));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_FALSE(next->replayed);
  EXPECT_EQ(next->first_global_position, kSeedEvents + 1);
  EXPECT_EQ(next->first_stream_version, kSeedVersion + 1);
  EXPECT_EQ(faulty_->resumes.load(), 1);  // the state was reloaded once
  // The state forgot the events of the failed batch.
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 10'000'000);
  EXPECT_EQ(StoredDisbursedKrw(kGyeongnam), 0);
  EXPECT_EQ(PublishedDisbursedKrw(kGyeongnam), 0);
  absl::StatusOr<AppendResult> b = Append(Meta(Pay(kGyeongnam, 20'000'000, "PAY-B"), 102));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->first_global_position, kSeedEvents + 2);
  EXPECT_EQ(b->first_stream_version, kSeedVersion + 1);
}

// A batch decided while the batch before it was being written counted on
// that batch's events: when that write fails, both batches fail, and the
// state is reloaded from the store before anything else is decided.
TEST_F(LedgerTest, FailedWriteAlsoFailsTheBatchDecidedAfterIt) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  faulty_->hold_next_commit = true;
  faulty_->fail_commits = true;
  faulty_->fail_resume = true;
  Answer& first = HoldDeciderWith(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  Answer& second = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-2"), 102, Exact(kSeedVersion + 1)));
  Answer& probe = SubmitProbe(103);
  ReleaseDecider(2);
  ASSERT_TRUE(faulty_->commit_entered.Wait());
  ASSERT_TRUE(faulty_->looked_up.Wait());  // `second` was decided against `first`
  faulty_->commit_released.Notify();
  EXPECT_TRUE(IsStoreWriteFailed(first.Get().status()));
  EXPECT_TRUE(IsStoreWriteFailed(second.Get().status()));
  // The whole batch, even a refusal that depended on nothing of it.
  EXPECT_TRUE(IsStoreWriteFailed(probe.Get().status()));
  EXPECT_EQ(LastPosition(), kSeedEvents);

  faulty_->fail_commits = false;
  faulty_->fail_resume = false;
  ASSERT_NO_FATAL_FAILURE(WaitUntilWritable());
  absl::StatusOr<AppendResult> again = Append(Meta(Pay(kChungnam, 10'000'000, "PAY-2"), 102));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->first_global_position, kSeedEvents + 1);
  EXPECT_EQ(again->first_stream_version, kSeedVersion + 1);
  EXPECT_EQ(faulty_->resumes.load(), 1);
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 10'000'000);
}

// A refusal decided after a command the batch accepted may rest on it (here:
// the payment reference it used, the event id it took): when the batch is
// not written, the refusal is UNAVAILABLE, not ALREADY_EXISTS, and the
// retry may well be accepted.
TEST_F(LedgerTest, RefusalDecidedAfterAnAcceptedCommandOfAFailedBatchIsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  faulty_->fail_resume = true;
  Answer& blocker = HoldDeciderWith(Meta(Pay(kNobody, 1'000'000, "PAY-Z"), 100));
  faulty_->fail_commits = true;
  Answer& paid = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  Answer& same_reference = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 102));
  Answer& same_id_other_content = Submit(Meta(Pay(kChungnam, 20'000'000, "PAY-2"), 101));
  ReleaseDecider(3);

  EXPECT_EQ(ReasonOf(blocker.Get().status()), "CONSORTIUM_NOT_FOUND");
  EXPECT_TRUE(IsStoreWriteFailed(paid.Get().status()));
  EXPECT_TRUE(IsStoreWriteFailed(same_reference.Get().status()));
  EXPECT_TRUE(IsStoreWriteFailed(same_id_other_content.Get().status()));

  // Neither PAY-1 nor event id 101 was recorded: retried, both are accepted.
  faulty_->fail_commits = false;
  faulty_->fail_resume = false;
  ASSERT_NO_FATAL_FAILURE(WaitUntilWritable());
  absl::StatusOr<AppendResult> reference_retried =
      Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 102));
  ASSERT_TRUE(reference_retried.ok()) << reference_retried.status();
  EXPECT_EQ(reference_retried->first_global_position, kSeedEvents + 1);
  absl::StatusOr<AppendResult> id_retried = Append(Meta(Pay(kChungnam, 20'000'000, "PAY-2"), 101));
  ASSERT_TRUE(id_retried.ok()) << id_retried.status();
  EXPECT_EQ(id_retried->first_global_position, kSeedEvents + 2);
}

// A refusal decided before the batch accepted anything rests on durable
// state only, and a replay of a durable command is its durable result: both
// stand whatever the batch's write does.
TEST_F(LedgerTest, AnswerDecidedBeforeAnyAcceptedCommandOfAFailedBatchStands) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  ASSERT_TRUE(Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101)).ok());
  faulty_->fail_resume = true;
  Answer& blocker = HoldDeciderWith(Meta(Pay(kNobody, 1'000'000, "PAY-Z"), 100));
  faulty_->fail_commits = true;
  Answer& wrong_version = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-2"), 102, NoStream()));
  Answer& used_reference = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 103));
  Answer& reused_id = Submit(Meta(Pay(kGyeongnam, 10'000'000, "PAY-3"), 101));
  Answer& replay = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  Answer& accepted = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-4"), 104));
  ReleaseDecider(5);

  EXPECT_EQ(ReasonOf(blocker.Get().status()), "CONSORTIUM_NOT_FOUND");
  EXPECT_TRUE(IsRefusal(wrong_version.Get().status(), absl::StatusCode::kAborted,
                        "WRONG_EXPECTED_VERSION"));
  EXPECT_TRUE(IsRefusal(used_reference.Get().status(), absl::StatusCode::kAlreadyExists,
                        "PAYMENT_REFERENCE_ALREADY_USED", {{"original_event_id", Id(101)}}));
  EXPECT_TRUE(
      IsRefusal(reused_id.Get().status(), absl::StatusCode::kAlreadyExists, "EVENT_ID_REUSED"));
  ASSERT_TRUE(replay.Get().ok()) << replay.Get().status();
  EXPECT_TRUE(replay.Get()->replayed);
  EXPECT_EQ(replay.Get()->first_global_position, kSeedEvents + 1);
  EXPECT_TRUE(IsStoreWriteFailed(accepted.Get().status()));
  EXPECT_EQ(LastPosition(), kSeedEvents + 1);
}

TEST_F(LedgerTest, WhileUnwritableSubmitIsRefusedAtOnceAndReadsGoOn) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  ledger_->SetWritableListener(writable_history_.Listener());
  ASSERT_TRUE(Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101)).ok());

  faulty_->fail_commits = true;
  faulty_->fail_resume = true;
  EXPECT_TRUE(IsStoreWriteFailed(Append(Meta(Pay(kChungnam, 10'000'000, "PAY-2"), 102)).status()));
  EXPECT_FALSE(ledger_->writable());
  EXPECT_EQ(writable_history_.WaitForCount(2), (std::vector<bool>{true, false}));

  // Writes are refused before they reach the queue.
  Answer& refused = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-3"), 103));
  ASSERT_TRUE(refused.HasBeenCalled());
  EXPECT_TRUE(
      IsRefusal(refused.Get().status(), absl::StatusCode::kUnavailable, "STORE_UNWRITABLE"));
  EXPECT_TRUE(absl::StrContains(refused.Get().status().message(), "injected"))
      << refused.Get().status();
  EXPECT_EQ(ledger_->QueueDepth(), 0u);
  // Reads go on, from the published models and the log.
  EXPECT_EQ(ledger_->Published()->position, kSeedEvents + 1);
  EXPECT_EQ(PublishedDisbursedKrw(kChungnam), 10'000'000);
  EXPECT_EQ(log()->ReadAll(1, 100)->size(), kSeedEvents + 1);
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 10'000'000);

  // Once the store resumes, without a restart.
  faulty_->fail_commits = false;
  faulty_->fail_resume = false;
  ASSERT_NO_FATAL_FAILURE(WaitUntilWritable());
  EXPECT_EQ(writable_history_.WaitForCount(3), (std::vector<bool>{true, false, true}));
  absl::StatusOr<AppendResult> retried = Append(Meta(Pay(kChungnam, 10'000'000, "PAY-3"), 103));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->first_global_position, kSeedEvents + 2);
  ledger_->SetWritableListener(nullptr);
}

// A batch whose write failed before reaching the disk: retried with the same
// ids once the store resumed, each command is appended once, at the
// positions the failed batch would have had.
TEST_F(LedgerTest, RetriesOfALostBatchAreAppendedOnce) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  faulty_->fail_resume = true;
  const v1::DisburseFundsRequest a = Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101);
  const v1::DisburseFundsRequest b = Meta(Pay(kGyeongnam, 20'000'000, "PAY-2"), 102);
  const v1::DisburseFundsBatchRequest run =
      Meta(PaymentRun(kChungnam, 2023, {1'000'000, 2'000'000}, "RUN"), 103);
  Answer& blocker = HoldDeciderWith(Meta(Pay(kNobody, 1'000'000, "PAY-Z"), 100));
  faulty_->fail_commits = true;
  Answer& failed_a = Submit(a);
  Answer& failed_b = Submit(b);
  Answer& failed_run = Submit(run);
  ReleaseDecider(3);
  EXPECT_EQ(ReasonOf(blocker.Get().status()), "CONSORTIUM_NOT_FOUND");
  for (Answer* answer : {&failed_a, &failed_b, &failed_run}) {
    EXPECT_TRUE(IsStoreWriteFailed(answer->Get().status()));
  }

  faulty_->fail_commits = false;
  faulty_->fail_resume = false;
  ASSERT_NO_FATAL_FAILURE(WaitUntilWritable());
  absl::StatusOr<AppendResult> retried_a = Append(a);
  absl::StatusOr<AppendResult> retried_b = Append(b);
  absl::StatusOr<AppendResult> retried_run = Append(run);
  absl::StatusOr<AppendResult> retried_a_again = Append(a);
  ASSERT_TRUE(retried_a.ok() && retried_b.ok() && retried_run.ok() && retried_a_again.ok());
  EXPECT_FALSE(retried_a->replayed);
  EXPECT_EQ(retried_a->first_global_position, kSeedEvents + 1);
  EXPECT_EQ(retried_b->first_global_position, kSeedEvents + 2);
  EXPECT_EQ(retried_run->first_global_position, kSeedEvents + 3);
  EXPECT_EQ(retried_run->last_global_position, kSeedEvents + 4);
  EXPECT_TRUE(retried_a_again->replayed);
  EXPECT_EQ(retried_a_again->first_global_position, kSeedEvents + 1);

  std::vector<v1::EventEnvelope> events = *log()->ReadAll(kSeedEvents + 1, 100);
  std::vector<std::string> ids;
  for (const v1::EventEnvelope& event : events) ids.push_back(event.event_id());
  EXPECT_EQ(ids, (std::vector<std::string>{Id(101), Id(102), Id(103), Id(103) + "#1"}));
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 13'000'000);
  EXPECT_EQ(StoredDisbursedKrw(kGyeongnam), 20'000'000);
}

// A batch written to the store although its write was reported failed (a
// sync error after the WAL record): once the store resumed, the ledger
// reloads it, and the callers' retries are answered as replayed, not
// appended a second time.
TEST_F(LedgerTest, RetriesOfABatchWrittenDespiteItsFailureAreReplayed) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  faulty_->fail_after_write = true;
  faulty_->fail_resume = true;
  const v1::DisburseFundsRequest a = Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101);
  EXPECT_TRUE(IsStoreWriteFailed(Append(a).status()));
  ASSERT_EQ(LastPosition(), kSeedEvents + 1);  // in the store all the same

  faulty_->fail_after_write = false;
  faulty_->fail_resume = false;
  ASSERT_NO_FATAL_FAILURE(WaitUntilWritable());
  absl::StatusOr<AppendResult> retried = Append(a);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->replayed);
  EXPECT_EQ(retried->first_global_position, kSeedEvents + 1);
  // The reloaded state counts the payment once, and its reference as used.
  EXPECT_EQ(PublishedDisbursedKrw(kChungnam), 10'000'000);
  EXPECT_EQ(ReasonOf(Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 102)).status()),
            "PAYMENT_REFERENCE_ALREADY_USED");
  absl::StatusOr<AppendResult> next = Append(Meta(Pay(kChungnam, 10'000'000, "PAY-2"), 103));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->first_global_position, kSeedEvents + 2);
  EXPECT_EQ(next->first_stream_version, kSeedVersion + 2);
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 20'000'000);
}

// ---- Published read models -------------------------------------------------------

// Read-your-writes: by the time a caller hears its command was accepted,
// Published() shows it; not before it is durable, and a batch whose write
// failed never.
TEST_F(LedgerTest, PublishedShowsABatchOnceAcknowledgedAndNeverAFailedOne) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  faulty_->hold_next_commit = true;
  Answer& paid = Submit(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  ASSERT_TRUE(faulty_->commit_entered.Wait());
  // Being written: not shown yet.
  EXPECT_EQ(ledger_->Published()->position, kSeedEvents);
  EXPECT_EQ(PublishedDisbursedKrw(kChungnam), 0);
  faulty_->commit_released.Notify();
  ASSERT_TRUE(paid.Get().ok()) << paid.Get().status();
  std::shared_ptr<const PublishedModels> at_answer = paid.PublishedAtAnswer();
  EXPECT_GE(at_answer->position, paid.Get()->last_global_position);
  EXPECT_EQ(DisbursedKrw(*at_answer, kChungnam), 10'000'000);

  faulty_->fail_commits = true;
  faulty_->fail_resume = true;
  Answer& failed = Submit(Meta(Pay(kChungnam, 20'000'000, "PAY-2"), 102));
  EXPECT_TRUE(IsStoreWriteFailed(failed.Get().status()));
  EXPECT_EQ(failed.PublishedAtAnswer()->position, kSeedEvents + 1);
  EXPECT_EQ(DisbursedKrw(*failed.PublishedAtAnswer(), kChungnam), 10'000'000);
  EXPECT_EQ(PublishedDisbursedKrw(kChungnam), 10'000'000);

  // Nor after the store resumed and the state was reloaded.
  faulty_->fail_commits = false;
  faulty_->fail_resume = false;
  ASSERT_NO_FATAL_FAILURE(WaitUntilWritable());
  EXPECT_EQ(ledger_->Published()->position, kSeedEvents + 1);
  EXPECT_EQ(PublishedDisbursedKrw(kChungnam), 10'000'000);
}

// ---- Start ----------------------------------------------------------------------

TEST_F(LedgerTest, StartRecoversTheTailOfAnExistingLog) {
  ASSERT_NO_FATAL_FAILURE(OpenLedger());
  ASSERT_NO_FATAL_FAILURE(Seed());
  ASSERT_TRUE(Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101)).ok());
  ASSERT_NO_FATAL_FAILURE(RestartLedger());
  EXPECT_EQ(ledger_->recovered_event_count(), kSeedEvents + 1);
  EXPECT_EQ(ledger_->Published()->position, kSeedEvents + 1);
  EXPECT_EQ(PublishedDisbursedKrw(kChungnam), 10'000'000);

  absl::StatusOr<AppendResult> result = Append(Meta(Pay(kChungnam, 10'000'000, "PAY-2"), 102));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->first_global_position, kSeedEvents + 2);
  EXPECT_EQ(result->first_stream_version, kSeedVersion + 2);
  EXPECT_EQ(StoredDisbursedKrw(kChungnam), 20'000'000);
  // The rules remember what came before the restart: ids and references.
  absl::StatusOr<AppendResult> retried = Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 101));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->replayed);
  EXPECT_EQ(ReasonOf(Append(Meta(Pay(kChungnam, 10'000'000, "PAY-1"), 103)).status()),
            "PAYMENT_REFERENCE_ALREADY_USED");
}

}  // namespace
}  // namespace alliance
