// EventLog is the ledger's durable store: an append-only log of events on
// RocksDB, the indexes that find them (by stream, by event id), and the read
// models projected from them. The key layout is in storage/FORMAT.md.
//
// EventLog does not decide anything: positions, versions and model contents
// are computed by its one writer, the ledger core (services/ledger/ledger.h),
// which hands them to Commit() as a CommitBatch. Commit writes the whole batch in
// one RocksDB WriteBatch with one sync, so events, indexes and read models
// are never seen apart, before or after a crash.
//
// Thread safety: Commit() and ReplaceModels() must be called by one thread
// at a time (the ledger core's committer). Every read method may be called from any
// thread at any time, concurrently with a Commit(); a read sees either all
// of a batch or none of it.
//
//   absl::StatusOr<std::unique_ptr<EventLog>> log =
//       EventLog::Open("/var/lib/alliance", EventLogOptions{});
//   if (!log.ok()) return log.status();
//   absl::StatusOr<std::vector<v1::EventEnvelope>> page =
//       (*log)->ReadAll(/*from_position=*/1, /*max_count=*/100);
#ifndef ALLIANCE_STORAGE_EVENT_LOG_H_
#define ALLIANCE_STORAGE_EVENT_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/events.pb.h"
#include "storage/merkle.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace alliance::storage {

struct EventLogOptions {
  // Create the store when the folder holds none. Default true; the server
  // turns it off only for read-only tools.
  bool create_if_missing = true;
  // fsync every Commit before it returns. Default true: an acknowledged event
  // must survive a crash. Only benchmarks of the raw engine turn it off.
  bool sync = true;
  // The RocksDB environment (file system, threads) to open the store in;
  // nullptr for the default. Fault tests pass one whose file system fails
  // writes or syncs on demand.
  rocksdb::Env* env = nullptr;
  // Open for reading only: no lock taken, nothing written, every Commit
  // refused. For a store on a full disk, which cannot be opened for
  // writing (opening writes a new WAL and MANIFEST); a writer may open the
  // same folder meanwhile. The instance sees the store as it was when
  // opened.
  bool read_only = false;
};

// What the event-id index remembers of an appended command, so that a retry
// is recognised: where its events went and a fingerprint of its content.
struct EventIdRecord {
  uint64_t first_global_position = 0;
  uint32_t event_count = 0;
  std::string request_sha256;  // 32 raw bytes
};

// One entry to write: `value` set means put, nullopt means delete. In
// `model_writes` the key is EncodeKey of a ModelKey or IndexKey
// (model_keys.h; Commit refuses any other with INVALID_ARGUMENT); in
// `rule_writes` it is the rules' own (FORMAT.md).
struct ModelWrite {
  std::string key;
  std::optional<std::string> value;
};

// A copy of every read-model entry as they stood after the event at
// `position`: kept every so many events, so that the models as they stood
// at any moment are a checkpoint and a short fold away (FORMAT.md,
// `checkpoints`).
struct ModelCheckpoint {
  uint64_t position = 0;
  // (key, value) as the models family holds them (model_keys.h), in key
  // order.
  std::vector<std::pair<std::string, std::string>> models;
};

// Everything one group commit writes. Events are complete envelopes whose
// global positions continue the log without gaps and whose stream versions
// continue their streams without gaps (the ledger core guarantees it; Commit
// asserts it).
struct CommitBatch {
  struct Command {
    std::string event_id;                   // the caller's id for the command
    std::string request_sha256;             // 32 raw bytes
    std::vector<v1::EventEnvelope> events;  // at least one
  };
  std::vector<Command> commands;
  std::vector<ModelWrite> model_writes;
  // Entries of the rule index: what the rules look up one key at a time
  // (a payment reference's use, a disbursement's record). Like the stream
  // and event-id indexes, written with their events and never shown by a
  // query.
  std::vector<ModelWrite> rule_writes;
  // When set, a checkpoint of every read model as of the batch's last event
  // (its position must be that event's), written with the batch.
  std::optional<ModelCheckpoint> checkpoint;
};

// The audit tree's head as committed: the tree over the events at positions
// 1..tree_size (RFC 9162; storage/merkle.h) and its root.
struct TreeHead {
  uint64_t tree_size = 0;
  MerkleHash root_hash = EmptyTreeRoot();
};

// An event exactly as stored: its position and the bytes hashed into the
// tree (its leaf is LeafHash(bytes)).
struct StoredEvent {
  uint64_t global_position = 0;
  std::string bytes;
};

// What EventLog::VerifyTree found, recomputing the tree from the stored
// events.
struct TreeVerification {
  // Events read and hashed, from position 1, up to the first bad one.
  uint64_t events_verified = 0;
  // The root recomputed over those events.
  MerkleHash root_hash = EmptyTreeRoot();
  // The root recomputed at `trusted_size` (VerifyTree's argument), when the
  // log reached it before the first bad position; the caller compares it
  // with the root a signed head it trusts gave for that size.
  std::optional<MerkleHash> root_at_trusted_size;
  // 0 when every event and every stored node agree; otherwise the first
  // position whose event was altered, removed or reordered, or the first
  // position under an altered tree node, and why, in words.
  uint64_t first_bad_position = 0;
  std::string reason;
};

// A consistent, read-only view of the read models at one moment.
class ModelSnapshot {
 public:
  virtual ~ModelSnapshot() = default;
  // The value under `key`, nullopt when absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) = 0;
  // Up to `limit` entries whose key starts with `prefix` and sorts strictly
  // after `start_after` (empty: from the first), in key order.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(
      absl::string_view prefix, absl::string_view start_after, size_t limit) = 0;
};

class EventLog {
 public:
  // Opens (or creates) the store in folder `path`. Fails with a status naming
  // the folder when it cannot be opened: missing and create_if_missing is
  // false, not writable, locked by another process, or written by a newer
  // format version; RESOURCE_EXHAUSTED when its file system is full.
  static absl::StatusOr<std::unique_ptr<EventLog>> Open(const std::string& path,
                                                        const EventLogOptions& options);

  virtual ~EventLog() = default;

  // Writes the batch atomically (one WriteBatch, synced when options.sync).
  // On error nothing of the batch is visible and the log is as before.
  virtual absl::Status Commit(const CommitBatch& batch) = 0;

  // OK when Commit can write; otherwise why not: the store is open
  // read-only, or a write failed (RocksDB refuses every write after one
  // until it resumes). The writer must not Commit again until Resume()
  // succeeded.
  virtual absl::Status WritableStatus() = 0;

  // Whether the store was opened with EventLogOptions::read_only.
  virtual bool read_only() const = 0;

  // After a failed write: asks the store to take writes again. OK when
  // writable; the store is then as the last successful Commit left it (a
  // failed batch is not in it, though its WAL record may come back at the
  // next open). UNAVAILABLE while the cause lasts (a full disk: RocksDB
  // resumes by itself once space is free). FAILED_PRECONDITION when only
  // reopening the store can make it writable again (RocksDB would not
  // resume; a read-only store never does). Called by the writer only.
  virtual absl::Status Resume() = 0;

  // Position of the last event in the log; 0 when the log is empty.
  virtual absl::StatusOr<uint64_t> LastPosition() = 0;

  // Up to `max_count` events with global position >= from_position, in order.
  virtual absl::StatusOr<std::vector<v1::EventEnvelope>> ReadAll(uint64_t from_position,
                                                                 size_t max_count) = 0;

  // Up to `max_count` events of `stream_id` with version >= from_version, in
  // order. An unknown stream gives an empty vector.
  virtual absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStream(absl::string_view stream_id,
                                                                    uint64_t from_version,
                                                                    size_t max_count) = 0;

  // Calls `visit` on every event from `from_position` to the end, in order,
  // without holding them all in memory; stops at the first non-ok status
  // `visit` returns and returns it. `visit` runs on the calling thread;
  // reading and parsing run a few chunks ahead on two threads of their own.
  virtual absl::Status ForEachEvent(
      uint64_t from_position,
      const std::function<absl::Status(const v1::EventEnvelope&)>& visit) = 0;

  // Up to `max_count` events from `from_position` as stored: the bytes the
  // tree hashes, unparsed.
  virtual absl::StatusOr<std::vector<StoredEvent>> ReadStored(uint64_t from_position,
                                                              size_t max_count) = 0;

  // Up to `max_count` events of `stream_id` from version `from_version`, in
  // order, as stored (ReadStream, unparsed). An unknown stream gives none.
  virtual absl::StatusOr<std::vector<StoredEvent>> ReadStreamStored(absl::string_view stream_id,
                                                                    uint64_t from_version,
                                                                    size_t max_count) = 0;

  // The newest checkpoint at or before `position`; position 0 and no
  // models when there is none. Any thread.
  virtual absl::StatusOr<ModelCheckpoint> CheckpointAtOrBefore(uint64_t position) = 0;

  // ---- The audit tree (RFC 9162 over the events; FORMAT.md, `tree`) ----
  // Every event's leaf (in its tile) and every complete subtree above a
  // tile are written with the event, in its batch. Before any of these,
  // TreeStatus() must be OK: it is FAILED_PRECONDITION for a store of a
  // format before the tree's opened read-only (opening it for writing
  // builds the tree).

  virtual absl::Status TreeStatus() = 0;
  // The head after the last Commit (or at Open). Any thread.
  virtual TreeHead CurrentTreeHead() = 0;
  // The root of the tree of the first `tree_size` events; OUT_OF_RANGE past
  // the current head.
  virtual absl::StatusOr<MerkleHash> TreeRootAt(uint64_t tree_size) = 0;
  // RFC 9162 §2.1.3.1 / §2.1.4.1 over the stored nodes; OUT_OF_RANGE past
  // the current head, INVALID_ARGUMENT for an index outside the tree or a
  // first size above the second.
  virtual absl::StatusOr<std::vector<MerkleHash>> InclusionPath(uint64_t leaf_index,
                                                                uint64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<MerkleHash>> ConsistencyPath(uint64_t first,
                                                                  uint64_t second) = 0;
  // Recomputes every leaf from the stored events and every node from the
  // leaves, compares them with the stored tree, and reports the first
  // disagreement (TreeVerification). `progress(events_verified,
  // events_in_log)` is called every few tens of thousands of events; when it
  // returns false the verification stops, CANCELLED. Any thread; it reads a
  // snapshot, so commits meanwhile are not seen.
  virtual absl::StatusOr<TreeVerification> VerifyTree(
      uint64_t trusted_size, const std::function<bool(uint64_t, uint64_t)>& progress) = 0;

  // The record of a command's event id; nullopt when it was never appended.
  virtual absl::StatusOr<std::optional<EventIdRecord>> FindEventId(absl::string_view event_id) = 0;

  // Current version of a stream as committed: 0 when it has no events.
  // Remembered for every stream read or committed (a hash lookup after the
  // first), so the writer may ask it for every command.
  virtual absl::StatusOr<uint64_t> StreamVersion(absl::string_view stream_id) = 0;

  // The latest committed value of read-model entry `key`, nullopt when
  // absent: a plain point read, no snapshot (one key is consistent by
  // itself), so cheaper than SnapshotModels for a query of one model. Any
  // thread.
  virtual absl::StatusOr<std::optional<std::string>> GetModel(absl::string_view key) = 0;

  // The committed value of rule-index entry `key`, nullopt when absent. Any
  // thread.
  virtual absl::StatusOr<std::optional<std::string>> GetRuleEntry(absl::string_view key) = 0;

  // A snapshot of the read models for one query.
  virtual std::unique_ptr<ModelSnapshot> SnapshotModels() = 0;

  // Replaces every read model with `models` (sorted or not; of equal keys
  // the last wins): what a rebuild from the log does. With `rule_entries`,
  // replaces the rule index with them too (required when ModelsOutdated());
  // without, keeps it. The events are untouched; the store's format version
  // becomes the current one. Durable when it returns. Not atomic for
  // readers: a read meanwhile may find the models empty, so call it before
  // serving. A crash before it returns leaves the store's models outdated
  // (ModelsOutdated), never half-new.
  virtual absl::Status ReplaceModels(
      const std::vector<std::pair<std::string, std::string>>& models,
      const std::vector<std::pair<std::string, std::string>>* rule_entries) = 0;
  absl::Status ReplaceModels(const std::vector<std::pair<std::string, std::string>>& models) {
    return ReplaceModels(models, nullptr);
  }

  // True when the store was written in an older format whose read models
  // or rule index lack entries the current one has (format 1: no rule
  // index; 2: no lifecycle models; 3: the rule index among the models), or
  // when a ReplaceModels did not finish, so both must be rebuilt from the
  // log (ReplaceModels with rule entries, which also raises the store's
  // format version) before the ledger decides anything against them. Its
  // events and their indexes are read as they are.
  virtual bool ModelsOutdated() = 0;

  // Every read-model entry in key order: for tests and the rebuild check.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpModels() = 0;
  // Every rule-index entry in key order: for tests and the rebuild check.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpRuleEntries() = 0;
};

}  // namespace alliance::storage

#endif  // ALLIANCE_STORAGE_EVENT_LOG_H_
