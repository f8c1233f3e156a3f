// EventLog on RocksDB. The key layout is written down in storage/FORMAT.md;
// the encoders and decoders below are its only implementation.
#include "storage/event_log.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "spdlog/spdlog.h"
#include "storage/big_endian.h"
#include "storage/model_keys.h"
#include "storage/mutex.h"
#include "storage/rocks_status.h"
#include "storage/tree_store.h"

namespace alliance::storage {
namespace {

// Column family names: part of the on-disk format.
constexpr char kEventsFamily[] = "events";
constexpr char kStreamsFamily[] = "streams";
constexpr char kEventIdsFamily[] = "event_ids";
constexpr char kModelsFamily[] = "models";
constexpr char kMetaFamily[] = "meta";
constexpr char kRulesFamily[] = "rules";
constexpr char kTreeFamily[] = "tree";
constexpr char kCheckpointsFamily[] = "checkpoints";
// Every column family, in the order Open passes them to RocksDB and so the
// order of the handles it returns. RocksDB requires "default"; it holds
// nothing.
constexpr std::array<const char*, 9> kFamilyNames = {
    "default",   kEventsFamily, kStreamsFamily, kEventIdsFamily,   kModelsFamily,
    kMetaFamily, kRulesFamily,  kTreeFamily,    kCheckpointsFamily};
enum FamilyIndex : size_t {
  kDefaultIndex,
  kEventsIndex,
  kStreamsIndex,
  kEventIdsIndex,
  kModelsIndex,
  kMetaIndex,
  kRulesIndex,
  kTreeIndex,
  kCheckpointsIndex
};

// The meta key naming the layout a store was written in, and the newest
// layout this code reads. Raise it when an incompatible change is made, so
// an older server refuses the store instead of misreading it.
constexpr char kFormatVersionKey[] = "format_version";
constexpr uint64_t kFormatVersion = 6;
// The oldest format whose read models this code serves as they are. Format 1
// had no rule-index entries in `models`, format 2 no lifecycle models
// (FORMAT.md): their events are read as they are, their models are rebuilt
// from them before serving.
constexpr uint64_t kModelsFormatVersionMin = 4;
// The first format with the audit tree as this code stores it (in tiles;
// format 5 stored every leaf and node). A store of an older one gets its
// tree built anew from its events when it is first opened for writing.
constexpr uint64_t kTreeFormatVersionMin = 6;
// Building the tree of an older store writes this many events' nodes a
// batch and reports progress after each.
constexpr uint64_t kTreeBuildBatchEvents = uint64_t{1} << 16;
// Present while ReplaceModels is between deleting the old models and
// recording the new ones: a store opened with it has outdated models.
constexpr char kModelsRebuildingKey[] = "models_rebuilding";
// The table file ReplaceModels writes in the store's folder and ingests.
constexpr char kModelsRebuildFile[] = "models-rebuild.sst";

constexpr size_t kPositionBytes = 8;
constexpr size_t kVersionBytes = 8;
constexpr size_t kEventCountBytes = 4;
constexpr size_t kSha256Bytes = 32;
constexpr size_t kEventIdRecordBytes = kPositionBytes + kEventCountBytes + kSha256Bytes;
// Separates a stream id from its version in a `streams` key. Stream ids never
// hold it, so "a" + 0x00 is never a prefix of another stream's keys.
constexpr char kStreamKeySeparator = '\0';

// Background threads for flushes and compactions: the machine is shared and
// the log's write rate is small; more threads only add contention.
constexpr int kBackgroundThreads = 2;
// Bloom filter bits per key on the point-lookup families (event_ids and
// rules, whose entries are looked up one by one, mostly for keys that are
// absent: a new command's id, a new payment reference; and models). 10 bits
// gives about 1% false positives.
constexpr double kBloomBitsPerKey = 10.0;
// RocksDB's memory, one budget, so that what RocksDB accounts for does not
// grow with the log: a block cache of kRocksDbMemoryBytes holds the data
// blocks read, every table's index and filter blocks (outside the cache
// they grow with the log without bound, about 5 MiB a million events), and,
// charged to it by the write buffer manager, the memtables
// (all families together at most kMemtableBudgetBytes; RocksDB's default is
// 64 MiB a memtable, up to two a family). Not inside the budget: compactions'
// working memory and the pages glibc keeps (ReleaseFreedMemory below).
//
// The memtables are the part of the resident size that swings: each family's
// fills and is flushed on its own, and a jemalloc heap profile over a
// million events saw all of them together anywhere between 21 and 53 MiB with
// 64 MiB of 16 MiB memtables. The resident size at one moment then depended
// more on where the memtables stood than on the log. With 32 MiB of 8 MiB
// ones (ledger_bench --seconds=1 --rebuild_events=1000000, three runs each,
// alternating): VmRSS at 1M events 63-66 MiB, against 80-101 MiB, for
// 54 MiB at 100k events either way; peak 73-74 against 99-108 MiB. The cost
// is more flushes: 100-event batches took 14.5-15.6 us of server CPU an
// event against 11.1-17.0 us (the machine's hours vary more than that).
constexpr size_t kMemtableBudgetBytes = size_t{32} << 20;
constexpr size_t kMemtableBytes = size_t{8} << 20;
// Level-0 tables that start a compaction into level 1 (RocksDB's default is
// 4). With 8 MiB memtables this keeps each compaction merging as much of
// level 0 into level 1 as four 16 MiB tables did: the randomly keyed families
// (event ids, rule entries) rewrite most of level 1 every time, so merging
// half as much twice as often would double that work. A point read looks in
// every level-0 table; their filters are pinned in the cache, and probing
// them was 4 % of the server's samples at the batch point (perf, 8af5827).
constexpr int kLevel0CompactionTriggerTables = 8;
constexpr size_t kRocksDbMemoryBytes = kMemtableBudgetBytes + (size_t{32} << 20);
// The size compactions cut their output tables at (RocksDB's default is
// 64 MiB). A compaction holds its output table's filter and index in memory
// until the table is finished, outside the cache's account. Over a log of
// 3M events (ledger_bench --rebuild_events=3000000, four runs each) the
// server's peak resident size was 176-184 MiB with 64 MiB tables and
// 142-152 MiB with 16 MiB ones, at the same rate of 100-event batches.
constexpr uint64_t kTableFileBytes = uint64_t{16} << 20;
// The same for the families with filters. A compaction's filter builder holds
// 8 bytes a key until its table is finished, and rule entries compress to
// about 11 bytes a key: a 16 MiB table of them is 1.5M keys and 12 MiB of
// builder, the largest single part of the server's heap in a jemalloc heap
// profile at 1M events (ledger_bench --rebuild_events=1000000).
constexpr uint64_t kFilteredTableFileBytes = uint64_t{4} << 20;
// The memtable bloom filter of the event-id and rule families, as a share of
// the memtable (RocksDB's unit): 2 % of 8 MiB is about 1.3 million bits, some
// 20 a key for the ~65k keys a memtable of event ids holds.
constexpr double kMemtableBloomRatio = 0.02;
// The cache is split into 2^kBlockCacheShardBits shards, each an LRU of its
// own. RocksDB's default (64 shards here) leaves a shard smaller than one
// table's filter block (~1.2 MiB for a million rule entries): every point
// read then fetched and checksummed the filter again (11 % of the server's
// time in a profile of the query point).
constexpr int kBlockCacheShardBits = 2;
// Streams whose committed version the log remembers for checking batches
// (the ledger has a few hundred); past it the cache is dropped and refilled
// from the store, so a flood of new streams cannot grow memory without bound.
constexpr size_t kCommittedStreamVersionsMax = 1 << 16;
// Readahead for whole-log scans (rebuilds, subscriptions catching up): large
// sequential reads instead of one block at a time.
constexpr size_t kScanReadaheadBytes = 4 << 20;
// Each stage of ForEachEvent's pipeline hands over events in chunks of at
// most this many (one lock round trip a chunk, not an event), or of about
// kScanChunkBytes as stored, at most kScanChunksAhead ahead of the next
// stage: enough to ride out a slow stretch of either side, while the memory
// held stays a few MiB.
constexpr size_t kScanChunkEvents = 1024;
constexpr size_t kScanChunkBytes = size_t{256} << 10;
constexpr size_t kScanChunksAhead = 8;
// The arena blocks a chunk's events are parsed into: a chunk's worth in a
// few blocks.
constexpr size_t kScanArenaBlockBytes = size_t{256} << 10;

// The options of a point read that mostly asks for a key never written (a
// new command's event id, a new payment reference). The filters answer most
// of them; a false positive (about 1 % a table) reads a data block that no
// later command wants. Cached, such blocks grow with the log until the cache
// is full (3.9 MB of the heap at 1M events in a jemalloc heap profile).
rocksdb::ReadOptions ProbeReadOptions() {
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  return read;
}

// ---- Encodings (storage/FORMAT.md) ----

// stream id, 0x00: every key of one stream starts with it.
std::string StreamPrefix(absl::string_view stream_id) {
  std::string prefix(stream_id);
  prefix.push_back(kStreamKeySeparator);
  return prefix;
}

// The first key after every key of the stream: stream id, 0x01.
std::string StreamUpperBound(absl::string_view stream_id) {
  std::string bound(stream_id);
  bound.push_back(kStreamKeySeparator + 1);
  return bound;
}

std::string StreamKey(absl::string_view stream_id, uint64_t stream_version) {
  std::string key = StreamPrefix(stream_id);
  PutBigEndian64(&key, stream_version);
  return key;
}

std::string EncodeEventIdRecord(const EventIdRecord& record) {
  assert(record.request_sha256.size() == kSha256Bytes);
  std::string value;
  value.reserve(kEventIdRecordBytes);
  PutBigEndian64(&value, record.first_global_position);
  PutBigEndian32(&value, record.event_count);
  value.append(record.request_sha256);
  return value;
}

std::optional<EventIdRecord> DecodeEventIdRecord(absl::string_view value) {
  if (value.size() != kEventIdRecordBytes) return std::nullopt;
  EventIdRecord record;
  record.first_global_position = GetBigEndian64(value);
  record.event_count = GetBigEndian32(value.substr(kPositionBytes));
  record.request_sha256 = std::string(value.substr(kPositionBytes + kEventCountBytes));
  return record;
}

// The canonical form the envelope is stored (and will be hashed) in.
std::string SerializeEnvelope(const v1::EventEnvelope& envelope) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    const bool serialized = envelope.SerializeToCodedStream(&coded);
    // Only a message over 2 GiB fails, and kCommandEventsMax keeps envelopes
    // far smaller.
    assert(serialized);
    (void)serialized;
  }  // the CodedOutputStream flushes into `bytes` here
  return bytes;
}

// Reads an envelope stored under `global_position` and checks it is the one
// the key says (TigerBeetle's habit: verify right after reading back).
// Parses the event stored under `global_position` into *envelope.
absl::Status ParseEnvelopeInto(uint64_t global_position, absl::string_view bytes,
                               v1::EventEnvelope* envelope) {
  if (!envelope->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("event at global position ", global_position, " does not parse"));
  }
  if (envelope->global_position() != global_position) {
    return absl::DataLossError(absl::StrCat("event stored at global position ", global_position,
                                            " says it is at ", envelope->global_position()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::EventEnvelope> ParseEnvelope(uint64_t global_position, absl::string_view bytes) {
  v1::EventEnvelope envelope;
  if (absl::Status s = ParseEnvelopeInto(global_position, bytes, &envelope); !s.ok()) return s;
  return envelope;
}

// Events as stored, copied out of RocksDB's blocks by ForEachEvent's reader
// thread for its parser thread.
struct RawEventChunk {
  struct Event {
    uint64_t global_position;  // its key
    size_t end;                // where its bytes end in `bytes`
  };
  RawEventChunk() {
    bytes.reserve(kScanChunkBytes);
    events.reserve(kScanChunkEvents);
  }
  void Add(uint64_t global_position, absl::string_view stored) {
    bytes.append(stored.data(), stored.size());
    events.push_back({global_position, bytes.size()});
  }
  // Whether an event of `stored_bytes` more fits in the bytes reserved (a
  // first event always does): a chunk that grew would be reallocated for
  // every chunk of a scan.
  bool Fits(size_t stored_bytes) const {
    return events.empty() ||
           (events.size() < kScanChunkEvents && bytes.size() + stored_bytes <= kScanChunkBytes);
  }

  std::string bytes;  // the events' stored bytes, one after another
  std::vector<Event> events;
};

// Events parsed by ForEachEvent's parser thread, on an arena of their own:
// one allocation a few hundred events instead of a dozen an event, and all
// freed at once by the visiting thread.
struct EventChunk {
  EventChunk() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = kScanArenaBlockBytes;
    options.max_block_size = kScanArenaBlockBytes;
    arena = std::make_unique<google::protobuf::Arena>(options);
    events.reserve(kScanChunkEvents);
  }
  std::unique_ptr<google::protobuf::Arena> arena;
  std::vector<v1::EventEnvelope*> events;  // on `arena`
};

// The smallest key greater than every key starting with `prefix`; empty when
// there is none (an empty prefix, or one of only 0xff bytes).
std::string PrefixUpperBound(absl::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    if (static_cast<uint8_t>(bound.back()) != 0xff) {
      bound.back() = static_cast<char>(static_cast<uint8_t>(bound.back()) + 1);
      return bound;
    }
    bound.pop_back();
  }
  return bound;
}

// Chunks handed from one stage of ForEachEvent's pipeline to the next, at
// most kScanChunksAhead waiting. Either side may stop early: Close (the
// producer is done) and Cancel (the consumer is).
template <typename Chunk>
class ChunkQueue {
 public:
  // Moves *chunk in and leaves a fresh one; waits while the queue is full.
  // False when the consumer cancelled.
  bool Push(Chunk* chunk) {
    MutexLock lock(&mu_);
    while (!cancelled_ && chunks_.size() >= kScanChunksAhead) changed_.Wait(&mu_);
    if (cancelled_) return false;
    chunks_.push_back(std::move(*chunk));
    *chunk = Chunk();
    changed_.SignalAll();
    return true;
  }
  // The next chunk into *chunk; false when the producer closed and all are
  // taken.
  bool Pop(Chunk* chunk) {
    MutexLock lock(&mu_);
    while (!closed_ && chunks_.empty()) changed_.Wait(&mu_);
    if (chunks_.empty()) return false;
    *chunk = std::move(chunks_.front());
    chunks_.pop_front();
    changed_.SignalAll();
    return true;
  }
  void Close() {
    MutexLock lock(&mu_);
    closed_ = true;
    changed_.SignalAll();
  }
  void Cancel() {
    MutexLock lock(&mu_);
    cancelled_ = true;
    chunks_.clear();
    changed_.SignalAll();
  }

 private:
  Mutex mu_;
  CondVar changed_;
  std::deque<Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

class RocksModelSnapshot final : public ModelSnapshot {
 public:
  RocksModelSnapshot(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* models)
      : db_(db), models_(models), snapshot_(db->GetSnapshot()) {}
  ~RocksModelSnapshot() override { db_->ReleaseSnapshot(snapshot_); }

  RocksModelSnapshot(const RocksModelSnapshot&) = delete;
  RocksModelSnapshot& operator=(const RocksModelSnapshot&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot_;
    std::string value;
    rocksdb::Status status = db_->Get(read, models_, ToSlice(key), &value);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) return ToAbsl(status, "reading a read model");
    return value;
  }

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(
      absl::string_view prefix, absl::string_view start_after, size_t limit) override {
    std::vector<std::pair<std::string, std::string>> entries;
    if (limit == 0) return entries;
    std::string upper_bound = PrefixUpperBound(prefix);
    rocksdb::Slice upper_bound_slice(upper_bound);
    rocksdb::ReadOptions read;
    read.snapshot = snapshot_;
    if (!upper_bound.empty()) read.iterate_upper_bound = &upper_bound_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, models_));
    it->Seek(ToSlice(start_after > prefix ? start_after : prefix));
    for (; it->Valid() && entries.size() < limit; it->Next()) {
      absl::string_view key = ToView(it->key());
      if (!absl::StartsWith(key, prefix)) break;
      if (key <= start_after) continue;  // start_after itself, when present
      entries.emplace_back(std::string(key), it->value().ToString());
    }
    if (!it->status().ok()) return ToAbsl(it->status(), "scanning the read models");
    return entries;
  }

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const models_;
  const rocksdb::Snapshot* const snapshot_;
};

// RocksDB's diagnostics go to the server's log (warnings and errors), not to
// a LOG file in the store's folder: on a full disk RocksDB's own LOG writer
// fails, and the next line it writes trips an assertion in Debian's build
// (sync_without_flush_called_ in writable_file_writer.h) and aborts the
// server.
class ServerLogger final : public rocksdb::Logger {
 public:
  ServerLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[kLogLineBytesMax];
    std::vsnprintf(line, sizeof(line), format, ap);
    spdlog::warn("rocksdb: {}", line);
  }

 private:
  static constexpr size_t kLogLineBytesMax = 1024;
};

// Tells the log when RocksDB has recovered by itself from a background
// error. After a write fails for want of space, RocksDB's SstFileManager
// resumes writes on its own once enough space is free again; calling
// DB::Resume meanwhile answers Busy, and calling it again after a failed
// Resume can hang for ever (both seen with Debian's RocksDB 7.8).
class RecoveryListener final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (info.new_bg_error.ok()) recovered_.store(true);
  }
  // Whether a recovery ended well since the last call.
  bool TakeRecovered() { return recovered_.exchange(false); }

 private:
  std::atomic<bool> recovered_{false};
};

class RocksEventLog final : public EventLog {
 public:
  // Takes ownership of `db` and `handles` (in the order of kFamilyNames).
  RocksEventLog(const EventLogOptions& options, rocksdb::DB* db,
                std::vector<rocksdb::ColumnFamilyHandle*> handles,
                std::shared_ptr<RecoveryListener> recovery)
      : options_(options),
        db_(db),
        handles_(std::move(handles)),
        recovery_(std::move(recovery)),
        tree_(db, handles_[kTreeIndex]) {
    assert(handles_.size() == kFamilyNames.size());
  }

  ~RocksEventLog() override {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }

  RocksEventLog(const RocksEventLog&) = delete;
  RocksEventLog& operator=(const RocksEventLog&) = delete;

  // Checks the store's format version, writing ours into a new store, and
  // learns the tail.
  absl::Status Initialize() {
    uint64_t version = kFormatVersion;  // a new store's
    std::string stored;
    rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), meta_cf(), kFormatVersionKey, &stored);
    if (status.IsNotFound() && options_.read_only) {
      return absl::FailedPreconditionError("the store holds no format_version: it is empty");
    } else if (status.IsNotFound()) {
      rocksdb::WriteOptions write;
      write.sync = true;
      status = db_->Put(write, meta_cf(), kFormatVersionKey, absl::StrCat(kFormatVersion));
      if (!status.ok()) return ToAbsl(status, "writing format_version");
    } else if (!status.ok()) {
      return ToAbsl(status, "reading format_version");
    } else {
      if (!absl::SimpleAtoi(stored, &version) || version == 0) {
        return absl::DataLossError(absl::StrCat("format_version is \"", absl::CEscape(stored),
                                                "\", not a positive number"));
      }
      if (version > kFormatVersion) {
        return absl::FailedPreconditionError(absl::StrCat("the store has format version ", version,
                                                          "; this allianced reads ", kFormatVersion,
                                                          " and older: run a newer allianced"));
      }
      models_outdated_ = version < kModelsFormatVersionMin;
    }
    // A rebuild that did not finish (ReplaceModels) left models half done.
    status = db_->Get(rocksdb::ReadOptions(), meta_cf(), kModelsRebuildingKey, &stored);
    if (status.ok()) {
      models_outdated_ = true;
    } else if (!status.IsNotFound()) {
      return ToAbsl(status, "reading the rebuild mark");
    }
    absl::StatusOr<uint64_t> last = LastPosition();
    if (!last.ok()) return last.status();
    last_position_ = *last;
    return InitializeTree(version);
  }

  // Loads the audit tree's right edge; builds the tree of a store of a
  // format before it; refuses to write a store whose tree and log disagree.
  absl::Status InitializeTree(uint64_t version) {
    uint64_t leaves = 0;
    if (version < kTreeFormatVersionMin) {
      if (options_.read_only) {
        tree_status_ = absl::FailedPreconditionError(
            absl::StrCat("the store is of format ", version,
                         ", before the audit tree as this allianced stores it: open it for writing "
                         "once (start allianced on it) to build the tree"));
        return absl::OkStatus();
      }
      if (absl::Status s = BuildTree(); !s.ok()) return s;
      leaves = last_position_;
    } else {
      absl::StatusOr<uint64_t> stored = tree_.LeafCount();
      if (!stored.ok()) return stored.status();
      leaves = *stored;
    }
    if (leaves != last_position_) {
      // Appending now would write leaves over the evidence.
      const std::string why =
          leaves > last_position_
              ? absl::StrCat("the audit tree covers ", leaves, " events but the log ends at ",
                             last_position_, ": events after ", last_position_, " were removed")
              : absl::StrCat("the log holds ", last_position_, " events but the audit tree only ",
                             leaves, ": tree entries were removed");
      if (!options_.read_only) {
        return absl::DataLossError(absl::StrCat(
            why,
            "; the store is not written to. Served read-only, `alliancectl audit verify` "
            "names the first altered position"));
      }
      spdlog::error("{}", why);
    }
    absl::StatusOr<TreeWriter> writer = TreeWriter::Load(&tree_, leaves);
    if (!writer.ok()) return writer.status();
    tree_writer_ = *std::move(writer);
    MutexLock lock(&tail_mu_);
    tree_head_ = TreeHead{tree_writer_->size(), tree_writer_->Root()};
    return absl::OkStatus();
  }

  // Builds the tree of a store of a format before it (removing the entries
  // of an earlier layout) from its events, in durable batches, logging
  // progress. A crash meanwhile leaves the older format recorded: the next
  // open builds it again.
  absl::Status BuildTree() {
    rocksdb::WriteBatch batch;
    if (absl::Status s = DeleteAll(tree_cf(), &batch); !s.ok()) return s;
    absl::StatusOr<TreeWriter> tree = TreeWriter::Load(&tree_, 0);
    if (!tree.ok()) return tree.status();
    const uint64_t total = last_position_;
    spdlog::info("building the audit tree over events 1..{} (the store predates it)", total);
    auto write = [&]() -> absl::Status {
      if (absl::Status s = tree->Finish(&batch); !s.ok()) return s;
      rocksdb::WriteOptions synced;
      synced.sync = true;
      rocksdb::Status status = db_->Write(synced, &batch);
      if (!status.ok()) return ToAbsl(status, "writing the audit tree");
      batch.Clear();
      spdlog::info("audit tree: {} of {} events ({}%)", tree->size(), total,
                   total == 0 ? 100 : tree->size() * 100 / total);
      return absl::OkStatus();
    };
    absl::Status scanned = ScanRaw(
        1, std::numeric_limits<size_t>::max(),
        [&](uint64_t position, absl::string_view bytes) -> absl::Status {
          if (position != tree->size() + 1) {
            return absl::DataLossError(absl::StrCat("no event at position ", tree->size() + 1,
                                                    " while building the audit tree"));
          }
          if (absl::Status s = tree->Append(LeafHash(bytes), &batch); !s.ok()) return s;
          if (tree->size() % kTreeBuildBatchEvents == 0) return write();
          return absl::OkStatus();
        });
    if (!scanned.ok()) return scanned;
    if (absl::Status s = write(); !s.ok()) return s;
    if (!models_outdated_) {
      // Otherwise ReplaceModels records the version with the rebuilt models.
      rocksdb::WriteOptions synced;
      synced.sync = true;
      rocksdb::Status status =
          db_->Put(synced, meta_cf(), kFormatVersionKey, absl::StrCat(kFormatVersion));
      if (!status.ok()) return ToAbsl(status, "recording format_version");
    }
    spdlog::info("built the audit tree: {} events, root {}", tree->size(), HashHex(tree->Root()));
    return absl::OkStatus();
  }

  absl::Status Commit(const CommitBatch& batch) override {
    if (options_.read_only) return ReadOnly();
    absl::flat_hash_map<std::string, uint64_t> batch_stream_versions;
    absl::Status valid = CheckBatchContinuesLog(batch, &batch_stream_versions);
    if (!valid.ok()) return valid;
    rocksdb::WriteBatch write_batch;
    uint64_t last_position = last_position_;
    // The tree grows with the batch; it becomes the log's only once written.
    assert(tree_writer_.has_value());
    TreeWriter tree = *tree_writer_;
    for (const CommitBatch::Command& command : batch.commands) {
      assert(command.events.size() <= std::numeric_limits<uint32_t>::max());
      EventIdRecord record{command.events.front().global_position(),
                           static_cast<uint32_t>(command.events.size()), command.request_sha256};
      absl::Status status = PutEventId(&write_batch, command.event_id, record);
      if (!status.ok()) return status;
      for (const v1::EventEnvelope& event : command.events) {
        // What is stored is what is hashed: the same bytes.
        const std::string bytes = SerializeEnvelope(event);
        status = PutEvent(&write_batch, event, bytes);
        if (!status.ok()) return status;
        status = tree.Append(LeafHash(bytes), &write_batch);
        if (!status.ok()) return status;
        last_position = event.global_position();
      }
    }
    if (absl::Status s = tree.Finish(&write_batch); !s.ok()) return s;
    for (const ModelWrite& write : batch.model_writes) {
      // The models family holds only keys of model_keys.h's two shapes.
      if (absl::Status s = DecodeModelsKey(write.key).status(); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("a read-model write is not keyed by model_keys.h: ", s.message()));
      }
    }
    if (absl::Status s = AddWrites(models_cf(), batch.model_writes, &write_batch); !s.ok()) {
      return s;
    }
    if (absl::Status s = AddWrites(rules_cf(), batch.rule_writes, &write_batch); !s.ok()) {
      return s;
    }
    if (batch.checkpoint.has_value()) {
      assert(batch.checkpoint->position == last_position);
      const std::string prefix = PositionKey(batch.checkpoint->position);
      for (const auto& [key, value] : batch.checkpoint->models) {
        rocksdb::Status status =
            write_batch.Put(checkpoints_cf(), absl::StrCat(prefix, key), value);
        if (!status.ok()) return ToAbsl(status, "batching a read-model checkpoint");
      }
    }
    rocksdb::WriteOptions write;
    write.sync = options_.sync;
    rocksdb::Status status = db_->Write(write, &write_batch);
    if (!status.ok()) {
      // RocksDB refuses every write after this until Resume(); writing on
      // regardless once aborted it (a WAL written after a WAL error).
      {
        MutexLock lock(&tail_mu_);
        write_error_ = ToAbsl(status, "writing a batch of events");
        write_error_no_space_ = status.IsNoSpace();
        (void)recovery_->TakeRecovered();  // of an earlier error
      }
      return ToAbsl(status, "writing a batch of events");
    }
    last_position_ = last_position;
    const TreeHead head{tree.size(), tree.Root()};
    tree_writer_ = std::move(tree);
    MutexLock lock(&tail_mu_);
    tree_head_ = head;
    if (committed_stream_versions_.size() + batch_stream_versions.size() >
        kCommittedStreamVersionsMax) {
      committed_stream_versions_.clear();
    }
    for (const auto& [stream_id, version] : batch_stream_versions) {
      committed_stream_versions_[stream_id] = version;
    }
    return absl::OkStatus();
  }

  absl::Status WritableStatus() override {
    if (options_.read_only) return ReadOnly();
    MutexLock lock(&tail_mu_);
    return write_error_;
  }

  bool read_only() const override { return options_.read_only; }

  absl::Status Resume() override {
    if (options_.read_only) return ReadOnly();
    MutexLock lock(&tail_mu_);
    if (write_error_.ok()) return absl::OkStatus();
    if (recovery_->TakeRecovered()) {
      spdlog::info("the event store recovered from the write error by itself");
      write_error_ = absl::OkStatus();
      resume_tried_ = false;
      return absl::OkStatus();
    }
    if (write_error_no_space_) {
      // RocksDB resumes by itself once space is free (RecoveryListener).
      return absl::UnavailableError(
          absl::StrCat("the disk of the event store is full: free space (at least ",
                       kMemtableBytes >> 20, " MiB) and writes resume by themselves"));
    }
    if (resume_tried_) {
      // A second DB::Resume after a failed one can hang for ever.
      return absl::FailedPreconditionError(
          absl::StrCat(write_error_.message(), "; the store must be reopened to write again"));
    }
    resume_tried_ = true;
    rocksdb::Status status = db_->Resume();
    if (!status.ok()) {
      spdlog::error("the event store could not resume writes: {}", status.ToString());
      return absl::FailedPreconditionError(absl::StrCat(
          "resuming writes failed (", status.ToString(), "); the store must be reopened"));
    }
    write_error_ = absl::OkStatus();
    resume_tried_ = false;
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> LastPosition() override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_cf()));
    it->SeekToLast();
    if (!it->status().ok()) return ToAbsl(it->status(), "finding the last event");
    if (!it->Valid()) return 0;
    if (it->key().size() != kPositionBytes) return BadKey("events", it->key());
    return GetBigEndian64(ToView(it->key()));
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadAll(uint64_t from_position,
                                                         size_t max_count) override {
    std::vector<v1::EventEnvelope> events;
    absl::Status status = Scan(from_position, max_count, [&](v1::EventEnvelope&& event) {
      events.push_back(std::move(event));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return events;
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStream(absl::string_view stream_id,
                                                            uint64_t from_version,
                                                            size_t max_count) override {
    absl::StatusOr<std::vector<StoredEvent>> stored =
        ReadStreamStored(stream_id, from_version, max_count);
    if (!stored.ok()) return stored.status();
    std::vector<v1::EventEnvelope> events;
    events.reserve(stored->size());
    for (const StoredEvent& event : *stored) {
      absl::StatusOr<v1::EventEnvelope> parsed = ParseEnvelope(event.global_position, event.bytes);
      if (!parsed.ok()) return parsed.status();
      if (parsed->stream_id() != stream_id) {
        return absl::DataLossError(absl::StrCat("stream ", stream_id, " indexes global position ",
                                                event.global_position, ", an event of ",
                                                parsed->stream_id()));
      }
      events.push_back(*std::move(parsed));
    }
    return events;
  }

  absl::StatusOr<std::vector<StoredEvent>> ReadStreamStored(absl::string_view stream_id,
                                                            uint64_t from_version,
                                                            size_t max_count) override {
    absl::StatusOr<std::vector<uint64_t>> positions =
        StreamPositions(stream_id, from_version, max_count);
    if (!positions.ok()) return positions.status();
    std::vector<StoredEvent> events;
    events.reserve(positions->size());
    for (uint64_t position : *positions) {
      std::string bytes;
      rocksdb::Status status =
          db_->Get(rocksdb::ReadOptions(), events_cf(), PositionKey(position), &bytes);
      if (status.IsNotFound()) {
        return absl::DataLossError(absl::StrCat("stream ", stream_id, " indexes global position ",
                                                position, ", which holds no event"));
      }
      if (!status.ok()) return ToAbsl(status, "reading an event of a stream");
      events.push_back(StoredEvent{position, std::move(bytes)});
    }
    return events;
  }

  absl::Status ForEachEvent(
      uint64_t from_position,
      const std::function<absl::Status(const v1::EventEnvelope&)>& visit) override {
    // A pipeline of three threads: one reads the stored events, one parses
    // them, and the calling thread visits them. Reading, parsing and what a
    // recovery or a rebuild does with an event cost about 1 : 2 : 1 (a
    // profile of a rebuild of a million events): with the parse on the
    // reading thread, as it was, that thread bounded the scan while the
    // visitor waited; split in three, two cores share the work.
    ChunkQueue<RawEventChunk> raw_chunks;
    ChunkQueue<EventChunk> parsed_chunks;
    absl::Status read_status;
    std::thread reader([&] {
      RawEventChunk chunk;
      read_status = ScanRaw(from_position, std::numeric_limits<size_t>::max(),
                            [&](uint64_t position, absl::string_view bytes) {
                              if (!chunk.Fits(bytes.size()) && !raw_chunks.Push(&chunk)) {
                                return absl::CancelledError("scan stopped");
                              }
                              chunk.Add(position, bytes);
                              return absl::OkStatus();
                            });
      if (read_status.ok() && !chunk.events.empty()) raw_chunks.Push(&chunk);
      raw_chunks.Close();
    });
    absl::Status parse_status;
    std::thread parser([&] {
      RawEventChunk raw;
      bool visitor_stopped = false;
      while (parse_status.ok() && !visitor_stopped && raw_chunks.Pop(&raw)) {
        EventChunk parsed;
        size_t begin = 0;
        for (const RawEventChunk::Event& stored : raw.events) {
          auto* event =
              google::protobuf::Arena::CreateMessage<v1::EventEnvelope>(parsed.arena.get());
          parse_status = ParseEnvelopeInto(
              stored.global_position,
              absl::string_view(raw.bytes).substr(begin, stored.end - begin), event);
          if (!parse_status.ok()) break;
          parsed.events.push_back(event);
          begin = stored.end;
        }
        // The events before a bad one are visited, as a plain scan would.
        if (!parsed.events.empty()) visitor_stopped = !parsed_chunks.Push(&parsed);
      }
      if (!parse_status.ok() || visitor_stopped) raw_chunks.Cancel();
      parsed_chunks.Close();
    });
    absl::Status visit_status;
    EventChunk chunk;
    while (visit_status.ok() && parsed_chunks.Pop(&chunk)) {
      for (const v1::EventEnvelope* event : chunk.events) {
        visit_status = visit(*event);
        if (!visit_status.ok()) break;
      }
    }
    if (!visit_status.ok()) parsed_chunks.Cancel();
    parser.join();
    reader.join();
    // The first stage to fail from the visitor's end: a later stage's
    // failure cancels the earlier ones, which then report only that.
    if (!visit_status.ok()) return visit_status;
    if (!parse_status.ok()) return parse_status;
    return read_status;
  }

  absl::StatusOr<std::vector<StoredEvent>> ReadStored(uint64_t from_position,
                                                      size_t max_count) override {
    std::vector<StoredEvent> events;
    absl::Status status =
        ScanRaw(from_position, max_count, [&](uint64_t position, absl::string_view bytes) {
          events.push_back(StoredEvent{position, std::string(bytes)});
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return events;
  }

  absl::StatusOr<ModelCheckpoint> CheckpointAtOrBefore(uint64_t position) override {
    ModelCheckpoint checkpoint;
    if (position == 0) return checkpoint;
    // One snapshot: the checkpoint found is read whole.
    const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, checkpoints_cf()));
    // Every key of checkpoint P sorts before position P + 1's 8 bytes: the
    // last key before those is the newest checkpoint's last entry.
    it->SeekForPrev(PositionKey(position + 1));
    if (it->Valid() && ToView(it->key()) == PositionKey(position + 1)) it->Prev();
    absl::Status status;
    if (it->Valid()) {
      if (it->key().size() <= kPositionBytes) {
        status = BadKey("checkpoints", it->key());
      } else {
        checkpoint.position = GetBigEndian64(ToView(it->key()));
        const std::string prefix = PositionKey(checkpoint.position);
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
          checkpoint.models.emplace_back(std::string(ToView(it->key()).substr(kPositionBytes)),
                                         it->value().ToString());
        }
      }
    }
    if (status.ok() && !it->status().ok()) {
      status = ToAbsl(it->status(), "reading a read-model checkpoint");
    }
    it.reset();
    db_->ReleaseSnapshot(snapshot);
    if (!status.ok()) return status;
    return checkpoint;
  }

  absl::Status TreeStatus() override { return tree_status_; }

  TreeHead CurrentTreeHead() override {
    MutexLock lock(&tail_mu_);
    return tree_head_;
  }

  absl::StatusOr<MerkleHash> TreeRootAt(uint64_t tree_size) override {
    if (absl::Status s = CheckTreeSize(tree_size); !s.ok()) return s;
    return RootAt(tree_size, [this](MerkleNodeId id) { return tree_.Read(id); });
  }

  absl::StatusOr<std::vector<MerkleHash>> InclusionPath(uint64_t leaf_index,
                                                        uint64_t tree_size) override {
    if (absl::Status s = CheckTreeSize(tree_size); !s.ok()) return s;
    return storage::InclusionPath(leaf_index, tree_size,
                                  [this](MerkleNodeId id) { return tree_.Read(id); });
  }

  absl::StatusOr<std::vector<MerkleHash>> ConsistencyPath(uint64_t first,
                                                          uint64_t second) override {
    if (absl::Status s = CheckTreeSize(second); !s.ok()) return s;
    return storage::ConsistencyPath(first, second,
                                    [this](MerkleNodeId id) { return tree_.Read(id); });
  }

  absl::StatusOr<TreeVerification> VerifyTree(
      uint64_t trusted_size, const std::function<bool(uint64_t, uint64_t)>& progress) override {
    if (!tree_status_.ok()) return tree_status_;
    absl::StatusOr<uint64_t> last = LastPosition();
    if (!last.ok()) return last.status();
    return tree_.Verify(events_cf(), *last, trusted_size, progress);
  }

  absl::StatusOr<std::optional<EventIdRecord>> FindEventId(absl::string_view event_id) override {
    std::string value;
    rocksdb::Status status =
        db_->Get(ProbeReadOptions(), event_ids_cf(), ToSlice(event_id), &value);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) return ToAbsl(status, "reading the event-id index");
    std::optional<EventIdRecord> record = DecodeEventIdRecord(value);
    if (!record.has_value()) {
      return absl::DataLossError(absl::StrCat("event id ", event_id, " has a record of ",
                                              value.size(), " bytes, not ", kEventIdRecordBytes));
    }
    return record;
  }

  absl::StatusOr<uint64_t> StreamVersion(absl::string_view stream_id) override {
    {
      MutexLock lock(&tail_mu_);
      if (auto it = committed_stream_versions_.find(stream_id);
          it != committed_stream_versions_.end()) {
        return it->second;
      }
    }
    absl::StatusOr<uint64_t> stored = StoredStreamVersion(stream_id);
    if (!stored.ok()) return stored;
    MutexLock lock(&tail_mu_);
    if (committed_stream_versions_.size() >= kCommittedStreamVersionsMax) {
      committed_stream_versions_.clear();
    }
    // Commit's version wins over one read before it was written.
    return committed_stream_versions_.try_emplace(stream_id, *stored).first->second;
  }

  // The stream's version as the store holds it: the version in its last key.
  absl::StatusOr<uint64_t> StoredStreamVersion(absl::string_view stream_id) {
    std::string lower_bound = StreamPrefix(stream_id);
    std::string upper_bound = StreamUpperBound(stream_id);
    rocksdb::Slice lower(lower_bound);
    rocksdb::Slice upper(upper_bound);
    rocksdb::ReadOptions read;
    read.iterate_lower_bound = &lower;
    read.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, streams_cf()));
    it->SeekToLast();
    if (!it->status().ok()) return ToAbsl(it->status(), "reading a stream's version");
    if (!it->Valid()) return 0;
    if (it->key().size() != lower_bound.size() + kVersionBytes) {
      return BadKey("streams", it->key());
    }
    return GetBigEndian64(ToView(it->key()).substr(lower_bound.size()));
  }

  absl::StatusOr<std::optional<std::string>> GetModel(absl::string_view key) override {
    return GetLatest(rocksdb::ReadOptions(), models_cf(), key, "reading a read model");
  }

  absl::StatusOr<std::optional<std::string>> GetRuleEntry(absl::string_view key) override {
    return GetLatest(ProbeReadOptions(), rules_cf(), key, "reading the rule index");
  }

  std::unique_ptr<ModelSnapshot> SnapshotModels() override {
    return std::make_unique<RocksModelSnapshot>(db_.get(), models_cf());
  }

  absl::Status ReplaceModels(
      const std::vector<std::pair<std::string, std::string>>& models,
      const std::vector<std::pair<std::string, std::string>>* rule_entries) override {
    if (models_outdated_ && rule_entries == nullptr) {
      return absl::FailedPreconditionError(
          "the store's rule index is outdated too: rebuild it with the read models");
    }
    // Three steps, each durable, instead of one write batch: a rebuild of
    // the rule index puts millions of entries, and one batch of them went
    // through the WAL and the memtable (then a flush, and at the next open a
    // replay of that WAL) at a tenth of the speed of writing one sorted
    // table file and ingesting it. Until the last step the store is marked
    // as rebuilding, so a crash in between leaves models that the next open
    // calls outdated.
    //
    // 1. The mark, and every old entry deleted.
    rocksdb::WriteBatch clear;
    rocksdb::Status status = clear.Put(meta_cf(), kModelsRebuildingKey, "");
    if (!status.ok()) return ToAbsl(status, "batching the rebuild mark");
    if (absl::Status s = DeleteAll(models_cf(), &clear); !s.ok()) return s;
    // Checkpoints are folds too, perhaps by the code being replaced.
    if (absl::Status s = DeleteAll(checkpoints_cf(), &clear); !s.ok()) return s;
    if (rule_entries != nullptr) {
      if (absl::Status s = DeleteAll(rules_cf(), &clear); !s.ok()) return s;
    }
    rocksdb::WriteOptions synced;
    synced.sync = true;  // a rebuild is rare and must not be lost
    status = db_->Write(synced, &clear);
    if (!status.ok()) return ToAbsl(status, "deleting the old read models");

    // 2. The new entries, as one table file a family.
    if (absl::Status s = Ingest(models_cf(), models); !s.ok()) return s;
    if (rule_entries != nullptr) {
      if (absl::Status s = Ingest(rules_cf(), *rule_entries); !s.ok()) return s;
    }

    // 3. The models are now the current format's: so is the store.
    rocksdb::WriteBatch done;
    status = done.Put(meta_cf(), kFormatVersionKey, absl::StrCat(kFormatVersion));
    if (status.ok()) status = done.Delete(meta_cf(), kModelsRebuildingKey);
    if (!status.ok()) return ToAbsl(status, "batching format_version");
    status = db_->Write(synced, &done);
    if (!status.ok()) return ToAbsl(status, "recording the rebuilt read models");
    models_outdated_ = false;
    return absl::OkStatus();
  }

  bool ModelsOutdated() override { return models_outdated_; }

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpModels() override {
    return DumpFamily(models_cf());
  }

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpRuleEntries() override {
    return DumpFamily(rules_cf());
  }

 private:
  rocksdb::ColumnFamilyHandle* events_cf() const { return handles_[kEventsIndex]; }
  rocksdb::ColumnFamilyHandle* streams_cf() const { return handles_[kStreamsIndex]; }
  rocksdb::ColumnFamilyHandle* event_ids_cf() const { return handles_[kEventIdsIndex]; }
  rocksdb::ColumnFamilyHandle* models_cf() const { return handles_[kModelsIndex]; }
  rocksdb::ColumnFamilyHandle* meta_cf() const { return handles_[kMetaIndex]; }
  rocksdb::ColumnFamilyHandle* rules_cf() const { return handles_[kRulesIndex]; }
  rocksdb::ColumnFamilyHandle* checkpoints_cf() const { return handles_[kCheckpointsIndex]; }
  rocksdb::ColumnFamilyHandle* tree_cf() const { return handles_[kTreeIndex]; }

  // OK when the tree is there and covers `tree_size` events.
  absl::Status CheckTreeSize(uint64_t tree_size) {
    if (!tree_status_.ok()) return tree_status_;
    const uint64_t current = CurrentTreeHead().tree_size;
    if (tree_size > current) {
      return absl::OutOfRangeError(
          absl::StrCat("the log's tree has ", current, " events; ask for a size up to ", current));
    }
    return absl::OkStatus();
  }

  static absl::Status ReadOnly() {
    return absl::UnavailableError("the store is open read-only; reopen it to write");
  }

  static absl::Status BadKey(absl::string_view family, const rocksdb::Slice& key) {
    return absl::DataLossError(absl::StrCat("malformed key in column family ", family, ": \"",
                                            absl::CHexEscape(ToView(key)), "\""));
  }

  // Asserts the writer's promise: positions continue the log without gaps,
  // and each stream's versions continue that stream without gaps. A broken
  // promise is a bug in the writer, never bad input, so it crashes. Leaves in
  // *stream_versions each stream's last version in the batch.
  absl::Status CheckBatchContinuesLog(const CommitBatch& batch,
                                      absl::flat_hash_map<std::string, uint64_t>* stream_versions) {
    uint64_t expected_position = last_position_ + 1;
    for (const CommitBatch::Command& command : batch.commands) {
      assert(!command.events.empty());
      assert(command.request_sha256.size() == kSha256Bytes);
      for (const v1::EventEnvelope& event : command.events) {
        assert(event.global_position() == expected_position);
        ++expected_position;
        auto [it, inserted] = stream_versions->try_emplace(event.stream_id(), 0);
        if (inserted) {
          // The stream's first event in the batch continues the stored stream.
          absl::StatusOr<uint64_t> stored = StreamVersion(event.stream_id());
          if (!stored.ok()) return stored.status();
          it->second = *stored;
        }
        assert(event.stream_version() == it->second + 1);
        it->second = event.stream_version();
      }
    }
    return absl::OkStatus();
  }

  absl::Status PutEventId(rocksdb::WriteBatch* write_batch, absl::string_view event_id,
                          const EventIdRecord& record) {
    return ToAbsl(write_batch->Put(event_ids_cf(), ToSlice(event_id), EncodeEventIdRecord(record)),
                  "batching an event id");
  }

  // Adds the event, stored as `bytes` (SerializeEnvelope(event)), and its
  // stream entry.
  absl::Status PutEvent(rocksdb::WriteBatch* write_batch, const v1::EventEnvelope& event,
                        const std::string& bytes) {
    assert(!event.stream_id().empty());
    assert(event.stream_id().find(kStreamKeySeparator) == std::string::npos);
    assert(event.stream_version() > 0);
    std::string position_key = PositionKey(event.global_position());
    rocksdb::Status status = write_batch->Put(events_cf(), position_key, bytes);
    if (status.ok()) {
      status = write_batch->Put(streams_cf(), StreamKey(event.stream_id(), event.stream_version()),
                                position_key);
    }
    return ToAbsl(status, "batching an event");
  }

  // Positions of the stream's events from `from_version`, at most max_count.
  absl::StatusOr<std::vector<uint64_t>> StreamPositions(absl::string_view stream_id,
                                                        uint64_t from_version, size_t max_count) {
    std::vector<uint64_t> positions;
    if (max_count == 0) return positions;
    const size_t key_bytes = stream_id.size() + 1 + kVersionBytes;
    std::string upper_bound = StreamUpperBound(stream_id);
    rocksdb::Slice upper(upper_bound);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, streams_cf()));
    for (it->Seek(StreamKey(stream_id, from_version)); it->Valid() && positions.size() < max_count;
         it->Next()) {
      if (it->key().size() != key_bytes) return BadKey("streams", it->key());
      if (it->value().size() != kPositionBytes) {
        return absl::DataLossError(absl::StrCat("stream ", stream_id, " has a malformed position"));
      }
      positions.push_back(GetBigEndian64(ToView(it->value())));
    }
    if (!it->status().ok()) return ToAbsl(it->status(), "reading a stream");
    return positions;
  }

  // The latest committed value of `key` in `family` (a point read, no
  // snapshot); nullopt when absent. `what` names the read in an error.
  absl::StatusOr<std::optional<std::string>> GetLatest(const rocksdb::ReadOptions& read,
                                                       rocksdb::ColumnFamilyHandle* family,
                                                       absl::string_view key,
                                                       absl::string_view what) {
    std::string value;
    rocksdb::Status status = db_->Get(read, family, ToSlice(key), &value);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) return ToAbsl(status, what);
    return value;
  }

  // Adds `writes` (a put, or a delete where there is no value) to `batch`.
  static absl::Status AddWrites(rocksdb::ColumnFamilyHandle* family,
                                const std::vector<ModelWrite>& writes, rocksdb::WriteBatch* batch) {
    for (const ModelWrite& write : writes) {
      rocksdb::Status status = write.value.has_value() ? batch->Put(family, write.key, *write.value)
                                                       : batch->Delete(family, write.key);
      if (!status.ok())
        return ToAbsl(status, absl::StrCat("batching a write to ", family->GetName()));
    }
    return absl::OkStatus();
  }

  // Every entry of `family` in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpFamily(
      rocksdb::ColumnFamilyHandle* family) {
    std::vector<std::pair<std::string, std::string>> entries;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      entries.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok())
      return ToAbsl(it->status(), absl::StrCat("listing ", family->GetName()));
    return entries;
  }

  // Adds the deletion of every entry of `family` to `batch`.
  absl::Status DeleteAll(rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* batch) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family));
    it->SeekToFirst();
    if (it->Valid()) {
      const std::string first = it->key().ToString();
      it->SeekToLast();
      // [first, last) and last itself: every key, whatever its bytes.
      rocksdb::Status status = batch->DeleteRange(family, first, it->key());
      if (status.ok()) status = batch->Delete(family, it->key());
      if (!status.ok())
        return ToAbsl(status, absl::StrCat("batching the deletion of ", family->GetName()));
    }
    return ToAbsl(it->status(), absl::StrCat("listing ", family->GetName()));
  }

  // Writes `models` into one sorted table file in the store's folder and
  // ingests it into `family` (moved, not copied). Of equal keys the last
  // wins, as in a write batch.
  absl::Status Ingest(rocksdb::ColumnFamilyHandle* family,
                      const std::vector<std::pair<std::string, std::string>>& models) {
    if (models.empty()) return absl::OkStatus();  // a table file holds at least one entry
    std::vector<const std::pair<std::string, std::string>*> sorted;
    sorted.reserve(models.size());
    for (const auto& entry : models) sorted.push_back(&entry);
    // AllModels gives them in key order: the sort is for other callers.
    const auto by_key = [](const auto* a, const auto* b) { return a->first < b->first; };
    if (!std::is_sorted(sorted.begin(), sorted.end(), by_key)) {
      std::stable_sort(sorted.begin(), sorted.end(), by_key);
    }
    const std::string path = db_->GetName() + "/" + kModelsRebuildFile;
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db_->GetOptions(family), family);
    rocksdb::Status status = writer.Open(path);
    if (!status.ok()) return ToAbsl(status, "creating the rebuilt models' table file");
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i + 1 < sorted.size() && sorted[i + 1]->first == sorted[i]->first) continue;
      status = writer.Put(sorted[i]->first, sorted[i]->second);
      if (!status.ok()) return ToAbsl(status, "writing the rebuilt models' table file");
    }
    status = writer.Finish();  // syncs the file
    if (!status.ok()) return ToAbsl(status, "finishing the rebuilt models' table file");
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    status = db_->IngestExternalFile(family, {path}, ingest);
    if (!status.ok()) return ToAbsl(status, "ingesting the rebuilt models");
    return absl::OkStatus();
  }

  // Visits up to `max_count` events from `from_position` in order; stops
  // early at the first error `visit` returns.
  absl::Status Scan(uint64_t from_position, size_t max_count,
                    absl::FunctionRef<absl::Status(v1::EventEnvelope&&)> visit) {
    return ScanRaw(from_position, max_count, [&](uint64_t position, absl::string_view bytes) {
      absl::StatusOr<v1::EventEnvelope> event = ParseEnvelope(position, bytes);
      if (!event.ok()) return event.status();
      return visit(*std::move(event));
    });
  }

  // Scan's iteration: the stored bytes of each event and its position.
  absl::Status ScanRaw(uint64_t from_position, size_t max_count,
                       absl::FunctionRef<absl::Status(uint64_t, absl::string_view)> visit) {
    rocksdb::ReadOptions read;
    read.readahead_size = kScanReadaheadBytes;
    // A scan passes over old events once: keep them from evicting the hot
    // blocks of the block cache.
    read.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, events_cf()));
    size_t visited = 0;
    for (it->Seek(PositionKey(from_position)); it->Valid() && visited < max_count;
         it->Next(), ++visited) {
      if (it->key().size() != kPositionBytes) return BadKey("events", it->key());
      absl::Status status = visit(GetBigEndian64(ToView(it->key())), ToView(it->value()));
      if (!status.ok()) return status;
    }
    return ToAbsl(it->status(), "scanning the events");
  }

  const EventLogOptions options_;
  const std::unique_ptr<rocksdb::DB> db_;
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  // The last position committed. Touched by the writer only (Commit and
  // Open), so it needs no lock.
  uint64_t last_position_ = 0;
  // Every stream's version as this log committed it: what StreamVersion
  // answers (the ledger core asks it for every command), and what each batch
  // is checked against. An iterator over `streams` per stream per batch was
  // 8 % of the server's time at 64 callers, a hash lookup is nothing. Only
  // committed versions enter it (a failed write leaves it as it was).
  Mutex tail_mu_;
  absl::flat_hash_map<std::string, uint64_t> committed_stream_versions_ ABSL_GUARDED_BY(tail_mu_);
  // The error of the last failed write, until Resume() succeeds; whether it
  // was for want of space; whether DB::Resume was called since.
  absl::Status write_error_ ABSL_GUARDED_BY(tail_mu_);
  bool write_error_no_space_ ABSL_GUARDED_BY(tail_mu_) = false;
  bool resume_tried_ ABSL_GUARDED_BY(tail_mu_) = false;
  // The tree head of the last Commit, for readers.
  TreeHead tree_head_ ABSL_GUARDED_BY(tail_mu_);
  const std::shared_ptr<RecoveryListener> recovery_;
  // The audit tree's entries, and the writer's right edge of it (Commit and
  // Open only, like last_position_; absent while the tree cannot be read).
  const TreeStore tree_;
  std::optional<TreeWriter> tree_writer_;
  // Set at Open, then constant: why the tree cannot be read (a store of an
  // older format opened read-only), or OK.
  absl::Status tree_status_;
  // The store's models predate kModelsFormatVersionMin. Set by Open, cleared
  // by ReplaceModels: the writer's, like last_position_.
  bool models_outdated_ = false;
};

rocksdb::ColumnFamilyOptions FamilyOptions(const rocksdb::ColumnFamilyOptions& base,
                                           const std::shared_ptr<rocksdb::Cache>& block_cache,
                                           bool point_lookups, bool reads_mostly_absent_keys) {
  rocksdb::ColumnFamilyOptions options = base;
  options.write_buffer_size = kMemtableBytes;
  options.level0_file_num_compaction_trigger = kLevel0CompactionTriggerTables;
  options.target_file_size_base = point_lookups ? kFilteredTableFileBytes : kTableFileBytes;
  if (reads_mostly_absent_keys) {
    // Most point reads here are for keys never written (a new command's id,
    // a new payment reference): a bloom filter over the memtable's keys
    // answers them without searching its skip list, which was 6 % of the
    // server's time at 64 callers.
    options.memtable_whole_key_filtering = true;
    options.memtable_prefix_bloom_size_ratio = kMemtableBloomRatio;
  }
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache;
  table.cache_index_and_filter_blocks = true;
  // The newest tables' index and filter blocks stay in the cache: every
  // command's reads (event id, rule entry, its stream's version) consult them.
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Hands the memory flushes and compactions freed back to the system. A
// flush frees a memtable (its arena blocks were allocated on the committer
// thread) and a compaction its buffers and filter builder, but glibc keeps
// freed pages in each thread's arena: in a trial with 16 MiB of memtables,
// over a million events RocksDB's own account (memtables, cache) stayed at
// 10-17 MiB and jemalloc's heap profile put the live heap near 20 MiB, while
// the resident size rose 53 -> 76 MiB; malloc_trim releases every arena's
// free pages, and that run then ended at 56-61 MiB. The pages trimmed are
// faulted in again when reused, which cost 100-event batches 10-20 % when
// every flush trimmed; at most one trim every kTrimInterval costs nothing
// measurable.
constexpr absl::Duration kTrimInterval = absl::Seconds(5);

class ReleaseFreedMemory : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB* /*db*/, const rocksdb::FlushJobInfo& /*info*/) override {
    MaybeTrim();
  }
  void OnCompactionCompleted(rocksdb::DB* /*db*/,
                             const rocksdb::CompactionJobInfo& /*info*/) override {
    MaybeTrim();
  }

 private:
  void MaybeTrim() {
    const absl::Time now = absl::Now();
    {
      MutexLock lock(&mu_);
      if (now - last_trim_ < kTrimInterval) return;
      last_trim_ = now;
    }
    malloc_trim(0);
  }

  Mutex mu_;  // RocksDB's background threads call in concurrently
  absl::Time last_trim_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// The hint an open error gets when another process holds the store.
std::string OpenErrorHint(const rocksdb::Status& status) {
  std::string text = absl::AsciiStrToLower(status.ToString());
  if (absl::StrContains(text, "lock")) return " (is another allianced using it?)";
  return "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLog>> EventLog::Open(const std::string& path,
                                                         const EventLogOptions& options) {
  rocksdb::Options db_options;
  if (options.env != nullptr) db_options.env = options.env;
  db_options.IncreaseParallelism(kBackgroundThreads);
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.listeners.push_back(std::make_shared<ReleaseFreedMemory>());
  auto recovery = std::make_shared<RecoveryListener>();
  db_options.listeners.push_back(recovery);
  db_options.info_log = std::make_shared<ServerLogger>();
  std::shared_ptr<rocksdb::Cache> block_cache =
      rocksdb::NewLRUCache(kRocksDbMemoryBytes, kBlockCacheShardBits);
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(kMemtableBudgetBytes, block_cache);

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (size_t i = 0; i < kFamilyNames.size(); ++i) {
    // The streams family is only ever read by iterators (a stream's events,
    // its last version), which a whole-key filter cannot answer.
    const bool point_lookups = i == kEventIdsIndex || i == kModelsIndex || i == kRulesIndex;
    const bool reads_mostly_absent_keys = i == kEventIdsIndex || i == kRulesIndex;
    families.emplace_back(kFamilyNames[i], FamilyOptions(db_options, block_cache, point_lookups,
                                                         reads_mostly_absent_keys));
  }
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  // A read-only instance takes no lock and writes nothing (no WAL, no
  // MANIFEST): it opens on a full disk, and beside a writer opened later.
  rocksdb::Status status =
      options.read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, families, &handles, &db)
                        : rocksdb::DB::Open(db_options, path, families, &handles, &db);
  if (!status.ok()) {
    absl::Status error = ToAbsl(status, absl::StrCat("cannot open event store in ", path));
    return absl::Status(error.code(), absl::StrCat(error.message(), OpenErrorHint(status)));
  }
  auto log = std::make_unique<RocksEventLog>(options, db, std::move(handles), std::move(recovery));
  absl::Status initialized = log->Initialize();
  if (!initialized.ok()) {
    return absl::Status(initialized.code(), absl::StrCat("cannot open event store in ", path, ": ",
                                                         initialized.message()));
  }
  return log;
}

}  // namespace alliance::storage
