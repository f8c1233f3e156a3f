// The Appender is the one writer of the event log. It owns the log's tail
// (the next global position, every stream's version, the event ids being
// written) and runs two threads: a decider that drains a bounded queue of
// commands, and a committer that makes them durable:
//
//   decider, for each queued command, in arrival order:
//     1. event id already appended (or in the batch being written)?  same
//        content: answer the original result (replayed); other content:
//        ALREADY_EXISTS EVENT_ID_REUSED
//     2. expected version           mismatch: ABORTED WRONG_EXPECTED_VERSION
//     3. decide(stream version)     the domain's rules: events or a refusal
//     4. envelope the events (position, version, recorded_at, recorder) and
//        fold them into the state machine, which marks its models dirty
//   then hand every accepted command's events, their indexes and the dirty
//   read models to the committer as ONE EventLog::Commit;
//   committer: write it (one write, one sync), and only then answer each
//   caller of the batch.
//
// Commands that arrive together are therefore decided one after another
// against the state each previous one left, and made durable together: group
// commit. While the committer syncs one batch the decider decides the next
// against the state the first left (a pipeline one batch deep: deciding and
// syncing overlap instead of taking turns); the next batch is written only
// after the previous one is durable. A refused command adds nothing and
// fails alone. If a commit fails, every caller of that batch gets
// UNAVAILABLE, so does every caller of the batch decided after it (decided
// against events that never reached the log), and the state machine and the
// tail are recovered from the log, as they were before the failed batch.
//
// No caller's thread ever waits on the disk: Submit() only enqueues.
//
//   AppendRequest request;
//   request.stream_id = "consortium-chungnam-future-vehicles";
//   request.event_id = "9b2f...";
//   request.decide = [&](uint64_t version) { return DecideDisbursement(...); };
//   request.done = [reactor](absl::StatusOr<AppendResult> r) { reactor->Finish(...); };
//   appender->Submit(std::move(request));
#ifndef ALLIANCE_STORAGE_APPENDER_H_
#define ALLIANCE_STORAGE_APPENDER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "alliance/v1/events.pb.h"
#include "storage/event_log.h"

namespace alliance::storage {

// Commands that may wait in the queue. A full queue answers
// RESOURCE_EXHAUSTED at once: back-pressure instead of unbounded memory.
inline constexpr size_t kAppendQueueCapacity = 8192;
// Commands decided and written in one group commit, at most: bounds a
// batch's memory and the latency of its first caller.
inline constexpr size_t kBatchCommandsMax = 1024;
// Events one command may append.
inline constexpr size_t kCommandEventsMax = 1000;

struct ExpectedVersion {
  enum class Kind { kAny, kNoStream, kExact };
  Kind kind = Kind::kAny;
  uint64_t version = 0;  // for kExact; a stream's first event has version 1
};

// What an accepted (or replayed) command appended.
struct AppendResult {
  std::string event_id;
  std::string stream_id;
  uint64_t first_stream_version = 0;
  uint64_t last_stream_version = 0;
  uint64_t first_global_position = 0;
  uint64_t last_global_position = 0;
  absl::Time recorded_at;
  // True when the event id was already in the log with the same content:
  // nothing was written, the original result is returned.
  bool replayed = false;
};

struct AppendRequest {
  std::string stream_id;
  ExpectedVersion expected_version;
  // The caller's id for the command. The first event gets it; event i > 0 of
  // a multi-event command gets "<event_id>#<i>".
  std::string event_id;
  // SHA-256 (32 raw bytes) of the command's canonical content: tells a retry
  // (same) from a reused id (different).
  std::string request_sha256;
  v1::Recorder recorded_by;
  std::string correlation_id;
  // The domain's rules. Called on the decider thread, with the stream's
  // current version, against the state every earlier command left. Returns
  // the events to append (1 to kCommandEventsMax) or a refusal; must not
  // change any state itself.
  std::function<absl::StatusOr<std::vector<v1::Event>>(uint64_t stream_version)> decide;
  // Called exactly once, on one of the appender's threads (or on Submit's
  // caller's thread for RESOURCE_EXHAUSTED / UNAVAILABLE at submission),
  // after the events are durable or the command is refused. Must not block.
  std::function<void(absl::StatusOr<AppendResult>)> done;
};

// The state the commands are decided against, and the read models folded
// from the same events. Called by the decider thread only.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Folds one event (already enveloped, not yet durable) into the state and
  // marks the read models it changes.
  virtual void Apply(const v1::EventEnvelope& event) = 0;
  // Appends a write for every read model changed since the last call to
  // `model_writes`, and for every rule-index entry to `rule_writes`, and
  // forgets them. The appender calls it only once the writes of the
  // previous call are durable, and commits what it returns while the next
  // batch is decided: until the next call, the state must decide as if
  // these writes were already in the log's store (they may not be yet).
  virtual void TakeModelWrites(std::vector<ModelWrite>* model_writes,
                               std::vector<ModelWrite>* rule_writes) = 0;
  // Throws the state away and folds it again from every event in `log`
  // (start-up, and after a failed commit); marks nothing dirty.
  virtual absl::Status Recover(EventLog& log) = 0;
};

struct AppenderOptions {
  size_t queue_capacity = kAppendQueueCapacity;
  size_t batch_commands_max = kBatchCommandsMax;
  // The server's clock, for recorded_at. Tests pass a fixed one.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class Appender {
 public:
  // Recovers `state` from `log`, learns the tail, and starts the thread.
  // `log` and `state` must outlive the Appender.
  static absl::StatusOr<std::unique_ptr<Appender>> Start(EventLog* log, StateMachine* state,
                                                         AppenderOptions options);

  // Stop()s.
  ~Appender();

  // Enqueues the command. Never blocks on the disk. When the queue is full,
  // `done` is called at once with RESOURCE_EXHAUSTED; after Stop(), with
  // UNAVAILABLE.
  void Submit(AppendRequest request);

  // Stops taking commands, answers every queued one (decided and written as
  // usual), and joins the thread. Idempotent.
  void Stop();

  // Commands waiting in the queue now (for metrics and tests).
  size_t QueueDepth() const;

 private:
  class Impl;
  explicit Appender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace alliance::storage

#endif  // ALLIANCE_STORAGE_APPENDER_H_
