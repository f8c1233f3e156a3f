// Ledger is the service's core, between the gRPC services and storage: it
// owns the path of every command from the moment a service hands it over to
// the fsync and back, and publishes what is committed to the queries.
//
//   service thread   Submit(command)         bounded queue; a full queue, a
//        │                                   stopped ledger or an unwritable
//        ▼                                   store answer at once
//   decider thread   for each queued command, in arrival order:
//        │             1. event id known?    same fingerprint: the original
//        │                                   result (replayed); other:
//        │                                   ALREADY_EXISTS EVENT_ID_REUSED
//        │             2. expected version   ABORTED WRONG_EXPECTED_VERSION
//        │             3. spec->decide       the program's rules against the
//        │                                   state every earlier command left
//        │             4. envelope, fold     positions, versions, recorded_at;
//        │                                   domain::Fold into the state
//        ▼           the batch's events, indexes, changed read models and
//   committer thread rule-index entries: ONE EventLog::Commit (one
//        │           WriteBatch, one fsync); then publish the read models
//        ▼           and answer every caller of the batch
//   done(result)
//
// Commands that arrive together are decided one after another and made
// durable together (group commit). While the committer writes one batch the
// decider decides the next against the state the first left, so deciding
// and syncing overlap; a batch is written only after the one before it is
// durable. A refused command adds nothing and fails alone.
//
// When a commit fails, its outcome is unknown (a WAL record may survive a
// failed sync and be replayed at the next open): every answer of the batch
// that depended on it, accepted commands and refusals decided after an
// accepted command, and every answer of the batch decided after it, is
// UNAVAILABLE STORE_WRITE_FAILED, saying that a retry with the same event id
// is safe. The ledger then writes nothing more until the store is writable
// again: writes are refused at once with UNAVAILABLE STORE_UNWRITABLE, reads
// go on from the published read models and the log, and every
// kStoreRetryInterval the decider asks the store to resume; once it does,
// the state is reloaded from the store and writes are served again, without
// a restart. A store that cannot be opened for writing at start (a full
// disk) is opened read-only and recovers the same way; so is a writer that
// RocksDB will not resume (a failed sync): it is replaced by a reader, then
// reopened for writing.
//
// Reads never wait for the decider or the committer: Published() is an
// immutable snapshot of the committed read models, swapped atomically after
// each commit.
//
//   absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir, {});
//   (*ledger)->Submit(std::move(command));   // done() after the fsync
//   (*ledger)->Published()->consortia;       // queries, never waiting
//   (*ledger)->Stop();                       // drains, then stops
#ifndef ALLIANCE_SERVICES_LEDGER_LEDGER_H_
#define ALLIANCE_SERVICES_LEDGER_LEDGER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "alliance/v1/access.pb.h"
#include "alliance/v1/events.pb.h"
#include "alliance/v1/types.pb.h"
#include "google/protobuf/message.h"
#include "services/domain/commands.h"
#include "services/ledger/published_models.h"
#include "storage/event_log.h"

namespace alliance {

// Commands that may wait in the queue. A full queue answers
// RESOURCE_EXHAUSTED at once: back-pressure instead of unbounded memory.
inline constexpr size_t kAppendQueueCapacity = 8192;
// Commands decided and written in one group commit, at most: bounds a
// batch's memory and the latency of its first caller.
inline constexpr size_t kBatchCommandsMax = 1024;
// How often an unwritable store is asked to resume. Short enough that
// writes come back within seconds of space being freed, long enough that a
// store that stays full costs nothing.
inline constexpr absl::Duration kStoreRetryInterval = absl::Seconds(1);
// The ledger core writes a checkpoint of every read model with the first
// batch at or past each multiple of this many events (storage::
// ModelCheckpoint), so that the models as they stood at any position are
// at most this many events of fold away (as_of.h), folded on the query's
// thread: a few milliseconds. Each costs one copy of every model (a few
// hundred KiB for a program of hundreds of consortia and participants), a
// few tenths of a microsecond an event.
inline constexpr uint64_t kCheckpointEvents = 8'192;

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

// One command as a service hands it to the ledger.
struct Command {
  // The command's row of the table; its decide runs on the decider thread.
  const domain::CommandSpec* spec = nullptr;
  // The request, already validated (spec->validate). Not owned: it must
  // stay alive until `done` is called (a gRPC request outlives its reactor).
  const google::protobuf::Message* request = nullptr;
  // Who sends it, authenticated (services/access/): the row's authority is
  // checked against it, its events record it (Recorder: organisation and
  // name), and its event id is its own (the fingerprint includes it).
  v1::Identity caller;
  // Called exactly once, on one of the ledger's threads (or on Submit's
  // caller's thread for an answer given at once), after the events are
  // durable or the command is refused. Must not block.
  std::function<void(absl::StatusOr<AppendResult>)> done;
};

struct LedgerOptions {
  // Throw the stored read models away and write them anew from the log before
  // serving (after a projection changed, or to check a store). Default off:
  // the models are committed with their events and are always current.
  bool rebuild_read_models = false;
  size_t queue_capacity = kAppendQueueCapacity;
  size_t batch_commands_max = kBatchCommandsMax;
  absl::Duration store_retry_interval = kStoreRetryInterval;
  // Events between read-model checkpoints; tests make it small.
  uint64_t checkpoint_events = kCheckpointEvents;
  // The server's clock, for recorded_at. Tests pass a fixed one.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Where the store lives and how it is opened; tests inject a faulty file
  // system here.
  storage::EventLogOptions store;
};

class Ledger {
 public:
  // Opens the store in `data_dir` (created when missing), rebuilds the read
  // models if asked or if the store's are of an older format, loads the
  // state from the store's read models (committed with their events, so they
  // stand at the log's tail), publishes them and starts the threads. A store
  // that cannot be opened for writing but can be read (a full disk) is
  // served read-only until it can be written.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& data_dir,
                                                      LedgerOptions options);
  // As above, on a log already open (options.store is not used): tests wrap
  // the real log to inject faults.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(std::unique_ptr<storage::EventLog> log,
                                                      LedgerOptions options);
  // Stop()s.
  ~Ledger();

  // Hands a command to the decider. Never blocks on the disk: a full queue
  // answers RESOURCE_EXHAUSTED, a stopped ledger or an unwritable store
  // UNAVAILABLE, at once.
  void Submit(Command command);

  // The committed read models, as of the last durable batch. Any thread.
  std::shared_ptr<const PublishedModels> Published() const;

  // The log as now open, for the event reads: safe from any thread,
  // concurrently with appends. Hold the pointer for one read at a time, not
  // for long: a store opened read-only is replaced once it can be written.
  std::shared_ptr<storage::EventLog> log() const;

  // Whether commands can be written now (false after a failed write until
  // the store resumed, and while a store opened read-only stays so).
  bool writable() const;

  // Calls `listener` with writable() now and whenever it changes, on the
  // ledger's threads; replaces any earlier listener. For health checking.
  void SetWritableListener(std::function<void(bool writable)> listener);

  // Calls `listener` with the position of the last event published to
  // readers after every commit (and at once with the current one), on the
  // committer thread: it must return quickly, without calling into the
  // ledger. Replaces any earlier listener; nullptr removes it. Subscriptions
  // learn from it that there is more to read.
  void SetCommitListener(std::function<void(uint64_t last_position)> listener);

  // Answers every queued command and stops the threads; reads still work
  // until the Ledger is destroyed. Idempotent.
  void Stop();

  // Commands waiting in the queue now (for metrics and tests).
  size_t QueueDepth() const;

  // The event count of the log at start-up.
  uint64_t recovered_event_count() const { return recovered_event_count_; }

 private:
  class Pipeline;
  // Opens the ledger's store again, for writing or for reading only: to
  // write once a store opened read-only can be written, and to replace a
  // writer that RocksDB will not resume. nullptr when the ledger was given
  // its log (it then recovers only as far as EventLog::Resume goes).
  using Reopen = std::function<absl::StatusOr<std::unique_ptr<storage::EventLog>>(bool read_only)>;
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(std::unique_ptr<storage::EventLog> log,
                                                      Reopen reopen, LedgerOptions options);
  Ledger() = default;
  std::unique_ptr<Pipeline> pipeline_;
  uint64_t recovered_event_count_ = 0;
};

// What a fold of the whole log gives, in key order, without writing
// anything: the read models, and with `with_rule_entries` the rule index
// too. What --rebuild_read_models writes (the read models; both when the
// store's format requires it), and what a check compares the store with.
// Holds it all in memory (unlike the server's state, whose rule index stays
// on disk).
struct FoldedLog {
  std::vector<std::pair<std::string, std::string>> models;
  std::vector<std::pair<std::string, std::string>> rule_entries;  // empty without
};
absl::StatusOr<FoldedLog> FoldLog(storage::EventLog& log, bool with_rule_entries);

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_LEDGER_H_
