#include "storage/appender.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/refusal.h"
#include "tests/storage/temp_dir.h"

namespace alliance::storage {
namespace {

using namespace std::string_literals;

const absl::Time kNow = absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250);
// How long a test waits for something that should happen at once.
constexpr absl::Duration kWaitMax = absl::Seconds(30);

std::string Sha(char fill) { return std::string(32, fill); }

std::string CountKey(absl::string_view stream_id) { return absl::StrCat("count\0"s, stream_id); }

// Counts the events of each stream; its one read model per stream is
// "count\0<stream>" -> the count in decimal.
class CountingStateMachine : public StateMachine {
 public:
  void Apply(const v1::EventEnvelope& event) override {
    ++counts_[event.stream_id()];
    dirty_.push_back(event.stream_id());
  }

  void TakeModelWrites(std::vector<ModelWrite>* writes, std::vector<ModelWrite>*) override {
    std::sort(dirty_.begin(), dirty_.end());
    dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
    for (const std::string& stream_id : dirty_) {
      writes->push_back({CountKey(stream_id), absl::StrCat(counts_[stream_id])});
    }
    dirty_.clear();
  }

  absl::Status Recover(EventLog& log) override {
    ++recover_calls;
    counts_.clear();
    dirty_.clear();
    return log.ForEachEvent(1, [&](const v1::EventEnvelope& event) {
      ++counts_[event.stream_id()];
      return absl::OkStatus();
    });
  }

  std::atomic<int> recover_calls{0};

 private:
  std::map<std::string, uint64_t> counts_;
  std::vector<std::string> dirty_;
};

// A one-shot signal between threads, like absl::Notification. std::mutex
// rather than absl::Mutex: Debian's Abseil is built without ThreadSanitizer
// hooks, so TSan would not see absl's synchronization and report races.
class Signal {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  // False when kWaitMax passed first.
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoSeconds(kWaitMax), [this] { return notified_; });
  }
  bool HasBeenNotified() const {
    std::lock_guard<std::mutex> lock(mu_);
    return notified_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// Fault injection: forwards everything to the real log, but fails Commit
// while `fail_commits` is set, and holds the first Commit after
// `hold_commits` is set until `commit_released` (a slow disk).
class FaultyEventLog : public EventLog {
 public:
  explicit FaultyEventLog(EventLog* log) : log_(log) {}

  absl::Status Commit(const CommitBatch& batch) override {
    ++commit_calls;
    if (hold_commits.exchange(false)) {
      commit_entered.Notify();
      EXPECT_TRUE(commit_released.Wait());
    }
    if (fail_commits) return absl::UnavailableError("injected: disk full");
    return log_->Commit(batch);
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
  absl::StatusOr<std::optional<EventIdRecord>> FindEventId(absl::string_view event_id) override {
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
  std::unique_ptr<ModelSnapshot> SnapshotModels() override { return log_->SnapshotModels(); }
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

  std::atomic<bool> fail_commits{false};
  std::atomic<int> commit_calls{0};
  std::atomic<bool> hold_commits{false};
  Signal commit_entered;
  Signal commit_released;

 private:
  EventLog* const log_;
};

// One command's answer, waited for on the test's thread.
class Answer {
 public:
  std::function<void(absl::StatusOr<AppendResult>)> Done() {
    return [this](absl::StatusOr<AppendResult> result) {
      ++calls_;
      result_ = std::move(result);
      notification_.Notify();
    };
  }
  // The answer, once `done` was called (fails the test after kWaitMax).
  const absl::StatusOr<AppendResult>& Get() {
    EXPECT_TRUE(notification_.Wait());
    EXPECT_EQ(calls_.load(), 1);
    return result_;
  }
  bool HasBeenCalled() const { return notification_.HasBeenNotified(); }

 private:
  Signal notification_;
  std::atomic<int> calls_{0};
  absl::StatusOr<AppendResult> result_ = absl::UnknownError("no answer");
};

// `count` FundsDisbursed events, whatever the version.
std::function<absl::StatusOr<std::vector<v1::Event>>(uint64_t)> Disburse(size_t count = 1) {
  return [count](uint64_t) {
    std::vector<v1::Event> events(count);
    for (size_t i = 0; i < count; ++i) {
      v1::FundsDisbursed* funds = events[i].mutable_funds_disbursed();
      funds->set_consortium_id("chungnam");
      funds->set_program_year(2023);
      funds->set_amount_krw(100000000);
      funds->set_payment_reference(absl::StrCat("pay-", i));
    }
    return events;
  };
}

AppendRequest Request(const std::string& stream_id, const std::string& event_id,
                      char sha_fill = 'a', ExpectedVersion expected = {}) {
  AppendRequest request;
  request.stream_id = stream_id;
  request.expected_version = expected;
  request.event_id = event_id;
  request.request_sha256 = Sha(sha_fill);
  request.recorded_by.set_agency("KIAT");
  request.recorded_by.set_principal("kiat-erp");
  request.correlation_id = "corr-" + event_id;
  request.decide = Disburse();
  return request;
}

std::optional<std::string> ReasonOf(const absl::Status& status) {
  std::optional<RefusalDetails> details = GetRefusalDetails(status);
  if (!details) return std::nullopt;
  return details->reason;
}

// Holds the appender thread inside one command's decide until released, so
// that the commands submitted meanwhile queue up into one batch.
class Gate {
 public:
  // A decide that blocks until Release(), then returns `then`'s answer.
  std::function<absl::StatusOr<std::vector<v1::Event>>(uint64_t)> Decide(
      std::function<absl::StatusOr<std::vector<v1::Event>>(uint64_t)> then = Disburse()) {
    return [this, then](uint64_t version) {
      entered_.Notify();
      EXPECT_TRUE(released_.Wait());
      return then(version);
    };
  }
  void WaitEntered() { EXPECT_TRUE(entered_.Wait()); }
  void Release() { released_.Notify(); }

 private:
  Signal entered_;
  Signal released_;
};

class AppenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EventLog>> log =
        EventLog::Open(dir_.Sub("store"), EventLogOptions{});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    faulty_ = std::make_unique<FaultyEventLog>(log_.get());
  }

  void TearDown() override { appender_.reset(); }

  void StartAppender(AppenderOptions options = {}) {
    options.clock = [] { return kNow; };
    absl::StatusOr<std::unique_ptr<Appender>> appender =
        Appender::Start(faulty_.get(), &state_, std::move(options));
    ASSERT_TRUE(appender.ok()) << appender.status();
    appender_ = *std::move(appender);
  }

  // Submits and waits for the answer.
  absl::StatusOr<AppendResult> Append(AppendRequest request) {
    Answer answer;
    request.done = answer.Done();
    appender_->Submit(std::move(request));
    return answer.Get();
  }

  void Submit(AppendRequest request, Answer* answer) {
    request.done = answer->Done();
    appender_->Submit(std::move(request));
  }

  void WaitForQueueDepth(size_t depth) {
    const absl::Time deadline = absl::Now() + kWaitMax;
    while (appender_->QueueDepth() != depth && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    ASSERT_EQ(appender_->QueueDepth(), depth);
  }

  uint64_t LastPosition() { return *log_->LastPosition(); }

  std::optional<std::string> Model(absl::string_view key) {
    return *log_->SnapshotModels()->Get(key);
  }

  TempDir dir_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<FaultyEventLog> faulty_;
  CountingStateMachine state_;
  std::unique_ptr<Appender> appender_;
};

TEST_F(AppenderTest, SingleAppendIsDurableWithItsEnvelope) {
  StartAppender();
  absl::StatusOr<AppendResult> result = Append(Request("consortium-a", "e1"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->event_id, "e1");
  EXPECT_EQ(result->stream_id, "consortium-a");
  EXPECT_EQ(result->first_stream_version, 1u);
  EXPECT_EQ(result->last_stream_version, 1u);
  EXPECT_EQ(result->first_global_position, 1u);
  EXPECT_EQ(result->last_global_position, 1u);
  EXPECT_EQ(result->recorded_at, kNow);
  EXPECT_FALSE(result->replayed);

  std::vector<v1::EventEnvelope> events = *log_->ReadAll(1, 10);
  ASSERT_EQ(events.size(), 1u);
  const v1::EventEnvelope& event = events[0];
  EXPECT_EQ(event.global_position(), 1u);
  EXPECT_EQ(event.stream_id(), "consortium-a");
  EXPECT_EQ(event.stream_version(), 1u);
  EXPECT_EQ(event.event_id(), "e1");
  EXPECT_EQ(event.event_type(), "FundsDisbursed");
  EXPECT_EQ(event.recorded_at().seconds(), 1700000000);
  EXPECT_EQ(event.recorded_at().nanos(), 250000000);
  EXPECT_EQ(event.recorded_by().agency(), "KIAT");
  EXPECT_EQ(event.recorded_by().principal(), "kiat-erp");
  EXPECT_EQ(event.correlation_id(), "corr-e1");
  EXPECT_EQ(event.payload().funds_disbursed().amount_krw(), 100000000);
  // The state machine's model was written in the same commit.
  EXPECT_EQ(Model(CountKey("consortium-a")), "1");
  EXPECT_EQ(faulty_->commit_calls.load(), 1);
}

TEST_F(AppenderTest, PositionsAreGlobalAcrossStreams) {
  StartAppender();
  absl::StatusOr<AppendResult> a1 = Append(Request("consortium-a", "e1"));
  absl::StatusOr<AppendResult> b1 = Append(Request("consortium-b", "e2"));
  absl::StatusOr<AppendResult> a2 = Append(Request("consortium-a", "e3"));
  ASSERT_TRUE(a1.ok() && b1.ok() && a2.ok());
  EXPECT_EQ(a1->first_global_position, 1u);
  EXPECT_EQ(b1->first_global_position, 2u);
  EXPECT_EQ(a2->first_global_position, 3u);
  EXPECT_EQ(a1->first_stream_version, 1u);
  EXPECT_EQ(b1->first_stream_version, 1u);
  EXPECT_EQ(a2->first_stream_version, 2u);
  EXPECT_EQ(*log_->StreamVersion("consortium-a"), 2u);
  EXPECT_EQ(Model(CountKey("consortium-a")), "2");
  EXPECT_EQ(Model(CountKey("consortium-b")), "1");
}

TEST_F(AppenderTest, ExpectedVersionAnyNoStreamAndExact) {
  StartAppender();
  const ExpectedVersion no_stream{ExpectedVersion::Kind::kNoStream, 0};
  const ExpectedVersion at_1{ExpectedVersion::Kind::kExact, 1};

  ASSERT_TRUE(Append(Request("consortium-a", "e1", 'a', no_stream)).ok());

  absl::StatusOr<AppendResult> again = Append(Request("consortium-a", "e2", 'a', no_stream));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(again.status()), "WRONG_EXPECTED_VERSION");
  EXPECT_EQ(again.status().message(),
            "stream consortium-a is at version 1; the command expected no stream");

  absl::StatusOr<AppendResult> exact = Append(Request("consortium-a", "e3", 'a', at_1));
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->first_stream_version, 2u);

  absl::StatusOr<AppendResult> stale = Append(Request("consortium-a", "e4", 'a', at_1));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  std::optional<RefusalDetails> details = GetRefusalDetails(stale.status());
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->reason, "WRONG_EXPECTED_VERSION");
  EXPECT_EQ(details->metadata["stream_id"], "consortium-a");
  EXPECT_EQ(details->metadata["expected_version"], "1");
  EXPECT_EQ(details->metadata["actual_version"], "2");

  ASSERT_TRUE(Append(Request("consortium-a", "e5")).ok());  // kAny
  // The refused commands wrote nothing, not even their event ids.
  EXPECT_EQ(LastPosition(), 3u);
  EXPECT_FALSE(log_->FindEventId("e2")->has_value());
  EXPECT_FALSE(log_->FindEventId("e4")->has_value());
}

TEST_F(AppenderTest, SameIdSameContentReplaysTheOriginalResult) {
  StartAppender();
  AppendRequest multi = Request("consortium-a", "e1");
  multi.decide = Disburse(3);
  absl::StatusOr<AppendResult> original = Append(multi);
  ASSERT_TRUE(original.ok());
  ASSERT_TRUE(Append(Request("consortium-a", "e2")).ok());
  const int commits = faulty_->commit_calls.load();

  AppendRequest retry = Request("consortium-a", "e1");
  retry.decide = [](uint64_t) -> absl::StatusOr<std::vector<v1::Event>> {
    ADD_FAILURE() << "a replayed command is not decided again";
    return absl::InternalError("decided");
  };
  absl::StatusOr<AppendResult> replayed = Append(retry);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(replayed->replayed);
  EXPECT_EQ(replayed->event_id, "e1");
  EXPECT_EQ(replayed->stream_id, "consortium-a");
  EXPECT_EQ(replayed->first_global_position, 1u);
  EXPECT_EQ(replayed->last_global_position, 3u);
  EXPECT_EQ(replayed->first_stream_version, 1u);
  EXPECT_EQ(replayed->last_stream_version, 3u);
  EXPECT_EQ(replayed->recorded_at, kNow);
  EXPECT_EQ(LastPosition(), 4u);
  EXPECT_EQ(faulty_->commit_calls.load(), commits);  // nothing written
}

TEST_F(AppenderTest, SameIdOtherContentIsRefused) {
  StartAppender();
  ASSERT_TRUE(Append(Request("consortium-a", "e1", 'a')).ok());
  absl::StatusOr<AppendResult> reused = Append(Request("consortium-b", "e1", 'b'));
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists);
  std::optional<RefusalDetails> details = GetRefusalDetails(reused.status());
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->reason, "EVENT_ID_REUSED");
  EXPECT_EQ(details->metadata["event_id"], "e1");
  EXPECT_EQ(details->metadata["global_position"], "1");
  EXPECT_EQ(LastPosition(), 1u);
}

TEST_F(AppenderTest, DuplicateIdsInsideOneBatch) {
  StartAppender();
  Gate gate;
  Answer blocker, first, retry, reused;
  AppendRequest blocking = Request("consortium-z", "blocker");
  blocking.decide = gate.Decide();
  Submit(std::move(blocking), &blocker);
  gate.WaitEntered();
  Submit(Request("consortium-a", "d", 'a'), &first);
  Submit(Request("consortium-a", "d", 'a'), &retry);
  Submit(Request("consortium-a", "d", 'b'), &reused);
  WaitForQueueDepth(3);
  gate.Release();

  ASSERT_TRUE(blocker.Get().ok());
  ASSERT_TRUE(first.Get().ok()) << first.Get().status();
  EXPECT_FALSE(first.Get()->replayed);
  EXPECT_EQ(first.Get()->first_global_position, 2u);
  ASSERT_TRUE(retry.Get().ok()) << retry.Get().status();
  EXPECT_TRUE(retry.Get()->replayed);
  EXPECT_EQ(retry.Get()->first_global_position, 2u);
  EXPECT_EQ(retry.Get()->first_stream_version, 1u);
  EXPECT_EQ(reused.Get().status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(reused.Get().status()), "EVENT_ID_REUSED");
  EXPECT_EQ(LastPosition(), 2u);
  EXPECT_EQ(faulty_->commit_calls.load(), 2);
}

TEST_F(AppenderTest, MultiEventCommand) {
  StartAppender();
  ASSERT_TRUE(Append(Request("program-p", "e0")).ok());
  AppendRequest request = Request("consortium-a", "e1");
  request.decide = Disburse(3);
  absl::StatusOr<AppendResult> result = Append(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->first_global_position, 2u);
  EXPECT_EQ(result->last_global_position, 4u);
  EXPECT_EQ(result->first_stream_version, 1u);
  EXPECT_EQ(result->last_stream_version, 3u);

  std::vector<v1::EventEnvelope> events = *log_->ReadStream("consortium-a", 1, 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event_id(), "e1");
  EXPECT_EQ(events[1].event_id(), "e1#1");
  EXPECT_EQ(events[2].event_id(), "e1#2");
  std::optional<EventIdRecord> record = *log_->FindEventId("e1");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->first_global_position, 2u);
  EXPECT_EQ(record->event_count, 3u);
  EXPECT_EQ(Model(CountKey("consortium-a")), "3");
}

TEST_F(AppenderTest, DecideRefusalPassesThroughAndWritesNothing) {
  StartAppender();
  AppendRequest request = Request("consortium-a", "e1");
  request.decide = [](uint64_t) -> absl::StatusOr<std::vector<v1::Event>> {
    return Refuse(absl::StatusCode::kFailedPrecondition, "ANNUAL_LIMIT_EXCEEDED", "too much",
                  {{"limit_krw", "1380000000"}});
  };
  absl::StatusOr<AppendResult> result = Append(request);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(), "too much");
  EXPECT_EQ(ReasonOf(result.status()), "ANNUAL_LIMIT_EXCEEDED");

  AppendRequest empty = Request("consortium-a", "e2");
  empty.decide = Disburse(0);
  EXPECT_EQ(Append(empty).status().code(), absl::StatusCode::kInternal);

  AppendRequest too_many = Request("consortium-a", "e3");
  too_many.decide = Disburse(kCommandEventsMax + 1);
  EXPECT_EQ(Append(too_many).status().code(), absl::StatusCode::kInternal);

  AppendRequest no_kind = Request("consortium-a", "e4");
  no_kind.decide = [](uint64_t) { return std::vector<v1::Event>(1); };
  EXPECT_EQ(Append(no_kind).status().code(), absl::StatusCode::kInternal);

  EXPECT_EQ(LastPosition(), 0u);
  EXPECT_EQ(faulty_->commit_calls.load(), 0);
  EXPECT_TRUE(log_->DumpModels()->empty());
}

TEST_F(AppenderTest, MalformedRequestIsRefused) {
  StartAppender();
  AppendRequest no_id = Request("consortium-a", "");
  EXPECT_EQ(ReasonOf(Append(no_id).status()), "MISSING_FIELD");
  AppendRequest short_sha = Request("consortium-a", "e1");
  short_sha.request_sha256 = "abc";
  EXPECT_EQ(Append(short_sha).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Append(Request("consortium\0a"s, "e2")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LastPosition(), 0u);
}

TEST_F(AppenderTest, RefusalInTheMiddleOfABatchDoesNotFailTheOthers) {
  StartAppender();
  Gate gate;
  Answer blocker, before, refused, wrong_version, after;
  AppendRequest blocking = Request("consortium-z", "blocker");
  blocking.decide = gate.Decide();
  Submit(std::move(blocking), &blocker);
  gate.WaitEntered();

  Submit(Request("consortium-a", "e1"), &before);
  AppendRequest refusing = Request("consortium-a", "e2");
  refusing.decide = [](uint64_t) -> absl::StatusOr<std::vector<v1::Event>> {
    return Refuse(absl::StatusCode::kFailedPrecondition, "CONSORTIUM_LIMIT_EXCEEDED", "no");
  };
  Submit(std::move(refusing), &refused);
  // consortium-a is at version 1 after e1, decided earlier in the same batch.
  Submit(Request("consortium-a", "e3", 'a', {ExpectedVersion::Kind::kNoStream, 0}), &wrong_version);
  Submit(Request("consortium-a", "e4", 'a', {ExpectedVersion::Kind::kExact, 1}), &after);
  WaitForQueueDepth(4);
  gate.Release();

  ASSERT_TRUE(blocker.Get().ok());
  ASSERT_TRUE(before.Get().ok());
  EXPECT_EQ(before.Get()->first_global_position, 2u);
  EXPECT_EQ(ReasonOf(refused.Get().status()), "CONSORTIUM_LIMIT_EXCEEDED");
  EXPECT_EQ(ReasonOf(wrong_version.Get().status()), "WRONG_EXPECTED_VERSION");
  ASSERT_TRUE(after.Get().ok()) << after.Get().status();
  EXPECT_EQ(after.Get()->first_global_position, 3u);
  EXPECT_EQ(after.Get()->first_stream_version, 2u);
  // One commit for the blocker, one for the batch of four.
  EXPECT_EQ(faulty_->commit_calls.load(), 2);
  EXPECT_EQ(LastPosition(), 3u);
  EXPECT_EQ(Model(CountKey("consortium-a")), "2");
}

TEST_F(AppenderTest, ManyThreadsGetContiguousPositions) {
  constexpr int kThreads = 8;
  constexpr int kCommandsPerThread = 200;
  constexpr int kCommands = kThreads * kCommandsPerThread;
  StartAppender();

  std::vector<std::atomic<int>> done_calls(kCommands);
  std::mutex mu;
  std::condition_variable all_answered;
  int answered = 0;
  std::vector<uint64_t> positions;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommandsPerThread; ++i) {
        const int id = t * kCommandsPerThread + i;
        AppendRequest request =
            Request(absl::StrCat("consortium-t", t), absl::StrCat("e", id), 'a');
        request.done = [&, id](absl::StatusOr<AppendResult> result) {
          ++done_calls[id];
          std::lock_guard<std::mutex> lock(mu);
          if (result.ok()) {
            positions.push_back(result->first_global_position);
          } else {
            ++failures;
          }
          if (++answered == kCommands) all_answered.notify_all();
        };
        appender_->Submit(std::move(request));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(all_answered.wait_for(lock, absl::ToChronoSeconds(kWaitMax),
                                    [&] { return answered == kCommands; }));

  for (int id = 0; id < kCommands; ++id) EXPECT_EQ(done_calls[id].load(), 1) << id;
  EXPECT_EQ(failures, 0);
  std::sort(positions.begin(), positions.end());
  std::vector<uint64_t> expected(kCommands);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(positions, expected);

  EXPECT_EQ(LastPosition(), static_cast<uint64_t>(kCommands));
  EXPECT_EQ(log_->ReadAll(1, kCommands + 1)->size(), static_cast<size_t>(kCommands));
  for (int t = 0; t < kThreads; ++t) {
    const std::string stream_id = absl::StrCat("consortium-t", t);
    std::vector<v1::EventEnvelope> events = *log_->ReadStream(stream_id, 1, kCommands);
    ASSERT_EQ(events.size(), static_cast<size_t>(kCommandsPerThread));
    for (size_t v = 0; v < events.size(); ++v) EXPECT_EQ(events[v].stream_version(), v + 1);
    EXPECT_EQ(Model(CountKey(stream_id)), absl::StrCat(kCommandsPerThread));
  }
}

TEST_F(AppenderTest, FullQueueAnswersResourceExhaustedAtOnce) {
  AppenderOptions options;
  options.queue_capacity = 2;
  StartAppender(options);
  Gate gate;
  Answer blocker, queued1, queued2, rejected;
  AppendRequest blocking = Request("consortium-z", "blocker");
  blocking.decide = gate.Decide();
  Submit(std::move(blocking), &blocker);
  gate.WaitEntered();
  Submit(Request("consortium-a", "e1"), &queued1);
  Submit(Request("consortium-a", "e2"), &queued2);
  Submit(Request("consortium-a", "e3"), &rejected);
  // Answered on this thread, before Submit returned.
  ASSERT_TRUE(rejected.HasBeenCalled());
  EXPECT_EQ(rejected.Get().status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(rejected.Get().status()), "APPEND_QUEUE_FULL");
  EXPECT_EQ(appender_->QueueDepth(), 2u);

  gate.Release();
  EXPECT_TRUE(blocker.Get().ok());
  EXPECT_TRUE(queued1.Get().ok());
  EXPECT_TRUE(queued2.Get().ok());
  EXPECT_EQ(LastPosition(), 3u);
}

TEST_F(AppenderTest, SubmitAfterStopIsUnavailable) {
  StartAppender();
  appender_->Stop();
  appender_->Stop();  // idempotent
  Answer answer;
  Submit(Request("consortium-a", "e1"), &answer);
  ASSERT_TRUE(answer.HasBeenCalled());
  EXPECT_EQ(answer.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(answer.Get().status()), "SHUTTING_DOWN");
  EXPECT_EQ(LastPosition(), 0u);
}

TEST_F(AppenderTest, StopDrainsTheQueuedCommands) {
  constexpr int kQueued = 5;
  StartAppender();
  Gate gate;
  Answer blocker;
  std::vector<Answer> queued(kQueued);
  AppendRequest blocking = Request("consortium-z", "blocker");
  blocking.decide = gate.Decide();
  Submit(std::move(blocking), &blocker);
  gate.WaitEntered();
  for (int i = 0; i < kQueued; ++i)
    Submit(Request("consortium-a", absl::StrCat("e", i)), &queued[i]);

  std::thread stopper([&] { appender_->Stop(); });
  // Wait until Stop() has shut the door: a probe is then refused at once.
  int probes_accepted = 0;
  std::vector<std::unique_ptr<Answer>> probes;
  for (;;) {
    probes.push_back(std::make_unique<Answer>());
    Submit(Request("consortium-p", absl::StrCat("probe", probes.size())), probes.back().get());
    if (probes.back()->HasBeenCalled()) break;
    ++probes_accepted;
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(ReasonOf(probes.back()->Get().status()), "SHUTTING_DOWN");
  EXPECT_FALSE(queued[0].HasBeenCalled());

  gate.Release();
  stopper.join();
  // Every command queued before Stop() was decided and written.
  EXPECT_TRUE(blocker.Get().ok());
  for (Answer& answer : queued) EXPECT_TRUE(answer.Get().ok()) << answer.Get().status();
  for (int i = 0; i < probes_accepted; ++i) EXPECT_TRUE(probes[i]->Get().ok());
  EXPECT_EQ(LastPosition(), static_cast<uint64_t>(1 + kQueued + probes_accepted));
}

TEST_F(AppenderTest, FailedCommitAnswersUnavailableAndRecovers) {
  StartAppender();
  ASSERT_EQ(state_.recover_calls.load(), 1);  // at Start
  ASSERT_TRUE(Append(Request("consortium-a", "e0")).ok());
  const auto models_before = *log_->DumpModels();

  // The blocker is refused after the others queued up, so the batch of four
  // is the first commit to fail.
  Gate gate;
  Answer blocker, accepted_a, accepted_b, refused, retry_in_batch;
  AppendRequest blocking = Request("consortium-z", "blocker");
  blocking.decide = gate.Decide([](uint64_t) -> absl::StatusOr<std::vector<v1::Event>> {
    return Refuse(absl::StatusCode::kFailedPrecondition, "SOME_RULE", "no");
  });
  Submit(std::move(blocking), &blocker);
  gate.WaitEntered();
  faulty_->fail_commits = true;
  Submit(Request("consortium-a", "e1"), &accepted_a);
  Submit(Request("consortium-b", "e2"), &accepted_b);
  Submit(Request("consortium-a", "e3", 'a', {ExpectedVersion::Kind::kNoStream, 0}), &refused);
  Submit(Request("consortium-a", "e1"), &retry_in_batch);
  WaitForQueueDepth(4);
  gate.Release();

  EXPECT_EQ(ReasonOf(blocker.Get().status()), "SOME_RULE");
  for (Answer* answer : {&accepted_a, &accepted_b, &retry_in_batch}) {
    EXPECT_EQ(answer->Get().status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(ReasonOf(answer->Get().status()), "STORE_WRITE_FAILED");
    EXPECT_NE(answer->Get().status().message().find("injected: disk full"), std::string::npos);
  }
  EXPECT_EQ(ReasonOf(refused.Get().status()), "WRONG_EXPECTED_VERSION");
  EXPECT_EQ(LastPosition(), 1u);
  EXPECT_EQ(*log_->DumpModels(), models_before);

  // The next append goes where the failed batch would have.
  faulty_->fail_commits = false;
  absl::StatusOr<AppendResult> next = Append(Request("consortium-a", "e1"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_FALSE(next->replayed);
  EXPECT_EQ(next->first_global_position, 2u);
  EXPECT_EQ(next->first_stream_version, 2u);
  EXPECT_EQ(state_.recover_calls.load(), 2);
  // The state machine forgot the events of the failed batch.
  EXPECT_EQ(Model(CountKey("consortium-a")), "2");
  EXPECT_FALSE(Model(CountKey("consortium-b")).has_value());
  absl::StatusOr<AppendResult> b = Append(Request("consortium-b", "e2"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first_global_position, 3u);
  EXPECT_EQ(b->first_stream_version, 1u);
}

// The pipeline: while one batch is being written, the next is decided
// against the state the first left — its positions, versions and event ids —
// and nobody is answered before their batch is durable.
TEST_F(AppenderTest, NextBatchIsDecidedAgainstTheBatchBeingWritten) {
  StartAppender();
  faulty_->hold_commits = true;
  Answer first, next, retry, reused;
  Submit(Request("consortium-a", "e1"), &first);
  faulty_->commit_entered.Wait();  // e1 is being written, not yet durable
  Submit(Request("consortium-a", "e2", 'a', {ExpectedVersion::Kind::kExact, 1}), &next);
  Submit(Request("consortium-a", "e1"), &retry);
  Submit(Request("consortium-a", "e1", 'b'), &reused);
  // The decider takes at least `next` (queued first) and decides it while e1
  // is in flight; the others may follow in the same batch or the one after.
  const absl::Time deadline = absl::Now() + kWaitMax;
  while (appender_->QueueDepth() == 3 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_LT(appender_->QueueDepth(), 3u);
  absl::SleepFor(absl::Milliseconds(50));  // time to answer early, were it wrong
  EXPECT_FALSE(first.HasBeenCalled()) << "answered before its batch was durable";
  EXPECT_FALSE(next.HasBeenCalled()) << "answered before the batch before it was durable";
  EXPECT_EQ(LastPosition(), 0u);

  faulty_->commit_released.Notify();
  ASSERT_TRUE(first.Get().ok()) << first.Get().status();
  EXPECT_EQ(first.Get()->first_global_position, 1u);
  // Expected version 1 held: the version of the batch that was in flight.
  ASSERT_TRUE(next.Get().ok()) << next.Get().status();
  EXPECT_EQ(next.Get()->first_global_position, 2u);
  EXPECT_EQ(next.Get()->first_stream_version, 2u);
  ASSERT_TRUE(retry.Get().ok()) << retry.Get().status();
  EXPECT_TRUE(retry.Get()->replayed);
  EXPECT_EQ(retry.Get()->first_global_position, 1u);
  EXPECT_EQ(ReasonOf(reused.Get().status()), "EVENT_ID_REUSED");
  EXPECT_EQ(LastPosition(), 2u);
  EXPECT_EQ(Model(CountKey("consortium-a")), "2");
}

// A batch decided while the batch before it was being written counted on
// that batch's events: when that write fails, both batches fail, and the
// state is recovered from the log before anything else is decided.
TEST_F(AppenderTest, FailedWriteAlsoFailsTheBatchDecidedAfterIt) {
  StartAppender();
  faulty_->hold_commits = true;
  faulty_->fail_commits = true;
  Answer first, second;
  Submit(Request("consortium-a", "e1"), &first);
  faulty_->commit_entered.Wait();
  Gate gate;
  AppendRequest deciding = Request("consortium-a", "e2", 'a', {ExpectedVersion::Kind::kExact, 1});
  deciding.decide = gate.Decide();
  Submit(std::move(deciding), &second);
  gate.WaitEntered();  // e2 is being decided against e1's state
  faulty_->commit_released.Notify();
  EXPECT_EQ(ReasonOf(first.Get().status()), "STORE_WRITE_FAILED");
  gate.Release();
  EXPECT_EQ(second.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(second.Get().status()), "STORE_WRITE_FAILED");
  EXPECT_EQ(LastPosition(), 0u);

  faulty_->fail_commits = false;
  absl::StatusOr<AppendResult> again = Append(Request("consortium-a", "e2"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->first_global_position, 1u);
  EXPECT_EQ(again->first_stream_version, 1u);
  EXPECT_EQ(state_.recover_calls.load(), 2);
  EXPECT_EQ(Model(CountKey("consortium-a")), "1");
}

TEST_F(AppenderTest, StartRecoversTheTailOfAnExistingLog) {
  StartAppender();
  ASSERT_TRUE(Append(Request("consortium-a", "e1")).ok());
  appender_.reset();
  StartAppender();
  absl::StatusOr<AppendResult> result = Append(Request("consortium-a", "e2"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->first_global_position, 2u);
  EXPECT_EQ(result->first_stream_version, 2u);
  EXPECT_EQ(Model(CountKey("consortium-a")), "2");
}

}  // namespace
}  // namespace alliance::storage
