#include "storage/tree_store.h"

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "alliance/v1/events.pb.h"
#include "storage/big_endian.h"
#include "storage/mutex.h"
#include "storage/rocks_status.h"

namespace alliance::storage {
namespace {

constexpr size_t kLevelBytes = 1;
constexpr size_t kIndexBytes = 8;
constexpr size_t kNodeKeyBytes = kIndexBytes + kLevelBytes;
// VerifyTree reports progress every this many events: a few times a second
// at a million events a second.
constexpr uint64_t kVerifyProgressEvents = uint64_t{1} << 16;
// Verification reads the whole log once, in order: large sequential reads.
constexpr size_t kVerifyReadaheadBytes = size_t{4} << 20;
// The hashing thread hands over this many leaves at a time (one lock round
// trip a chunk, not an event), at most this many chunks ahead.
constexpr size_t kVerifyChunkEvents = 4096;
constexpr size_t kVerifyChunksAhead = 4;

// Why the event stored at `position` does not hash to its recorded leaf: an
// event recorded elsewhere (a reordering) or altered bytes.
std::string DescribeAlteredEvent(uint64_t position, absl::string_view bytes) {
  v1::EventEnvelope envelope;
  if (!envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::StrCat("the event at position ", position,
                        " was altered: its stored bytes no longer parse");
  }
  if (envelope.global_position() != position) {
    return absl::StrCat("position ", position, " holds the event recorded at position ",
                        envelope.global_position(), ": the log was reordered");
  }
  return absl::StrCat("the event at position ", position,
                      " was altered: its stored bytes do not hash to the leaf recorded for it");
}

// The stored nodes in key order, which is the order the recomputation
// emits them in (each leaf, then the nodes it completes, lowest first): one
// iterator over the whole tree instead of a point read a node.
class TreeCursor {
 public:
  TreeCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* tree, const rocksdb::ReadOptions& read)
      : it_(db->NewIterator(read, tree)) {}

  // The stored node `id`, which must be the next one emitted; nullopt when
  // the next stored key is another (a node missing or added) or its value
  // is not a hash.
  absl::StatusOr<std::optional<MerkleHash>> Next(MerkleNodeId id) {
    const std::string key = TreeNodeKey(id);
    Advance();
    if (!it_->status().ok()) return ToAbsl(it_->status(), "reading the audit tree");
    if (!it_->Valid() || ToView(it_->key()) != key) return std::nullopt;
    return HashFromBytes(ToView(it_->value()));
  }

  // Whether any stored node follows the last one asked for.
  absl::StatusOr<bool> More() {
    Advance();
    if (!it_->status().ok()) return ToAbsl(it_->status(), "reading the audit tree");
    return it_->Valid();
  }

 private:
  void Advance() {
    if (started_) {
      it_->Next();
    } else {
      it_->SeekToFirst();
      started_ = true;
    }
  }

  std::unique_ptr<rocksdb::Iterator> it_;
  bool started_ = false;
};

// An event's position (0 for a malformed key) and its leaf hash.
struct HashedEvent {
  uint64_t position;
  MerkleHash leaf;
};
using LeafChunk = std::vector<HashedEvent>;

// Reads the events of `events` in order on a thread of its own and hashes
// each into its leaf, kVerifyChunkEvents at a time, at most
// kVerifyChunksAhead chunks ahead of the reader of Next(). Its destructor
// stops and joins the thread, so an early return anywhere is safe.
class LeafHasher {
 public:
  LeafHasher(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, rocksdb::ReadOptions read)
      : thread_([this, db, events, read] { Run(db, events, read); }) {}
  ~LeafHasher() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
      changed_.SignalAll();
    }
    thread_.join();
  }

  // The next chunk into *chunk; false when the events are done (or the read
  // failed: Finish says).
  bool Next(LeafChunk* chunk) {
    MutexLock lock(&mu_);
    while (chunks_.empty() && !done_) changed_.Wait(&mu_);
    if (chunks_.empty()) return false;
    *chunk = std::move(chunks_.front());
    chunks_.pop_front();
    changed_.SignalAll();
    return true;
  }

  // After Next returned false: how the reading ended.
  absl::Status Finish() {
    MutexLock lock(&mu_);
    return status_;
  }

 private:
  void Run(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, rocksdb::ReadOptions read) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, events));
    LeafChunk chunk;
    chunk.reserve(kVerifyChunkEvents);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const uint64_t position =
          it->key().size() == kIndexBytes ? GetBigEndian64(ToView(it->key())) : 0;
      chunk.push_back(HashedEvent{position, LeafHash(ToView(it->value()))});
      if (chunk.size() == kVerifyChunkEvents && !Push(&chunk)) return;
    }
    absl::Status status = ToAbsl(it->status(), "reading the events");
    if (!chunk.empty()) Push(&chunk);
    MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
    changed_.SignalAll();
  }

  // False when stopped.
  bool Push(LeafChunk* chunk) {
    MutexLock lock(&mu_);
    while (chunks_.size() >= kVerifyChunksAhead && !stop_) changed_.Wait(&mu_);
    if (stop_) {
      done_ = true;
      return false;
    }
    chunks_.push_back(std::move(*chunk));
    chunk->clear();
    chunk->reserve(kVerifyChunkEvents);
    changed_.SignalAll();
    return true;
  }

  Mutex mu_;
  CondVar changed_;
  std::deque<LeafChunk> chunks_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

std::string TreeNodeKey(MerkleNodeId id) {
  assert(id.level >= 0 && id.level < kMerkleLevels);
  const uint64_t last_leaf = ((id.index + 1) << id.level) - 1;
  std::string key;
  key.reserve(kNodeKeyBytes);
  PutBigEndian64(&key, last_leaf);
  key.push_back(static_cast<char>(static_cast<uint8_t>(id.level)));
  return key;
}

absl::StatusOr<MerkleHash> TreeStore::Read(MerkleNodeId id) const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), tree_, TreeNodeKey(id), &value);
  if (status.IsNotFound()) {
    return absl::DataLossError(
        absl::StrCat("the audit tree lacks its node at level ", id.level, ", index ", id.index));
  }
  if (!status.ok()) return ToAbsl(status, "reading the audit tree");
  std::optional<MerkleHash> hash = HashFromBytes(value);
  if (!hash.has_value()) {
    return absl::DataLossError(absl::StrCat("the audit tree's node at level ", id.level, ", index ",
                                            id.index, " holds ", value.size(),
                                            " bytes, not a hash"));
  }
  return *hash;
}

absl::StatusOr<uint64_t> TreeStore::LeafCount() const {
  // The last key is a node of the last leaf (the nodes it completed sort
  // after the leaf itself).
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), tree_));
  it->SeekToLast();
  if (!it->status().ok()) return ToAbsl(it->status(), "finding the audit tree's last leaf");
  if (!it->Valid()) return 0;
  if (it->key().size() != kNodeKeyBytes) {
    return absl::DataLossError(absl::StrCat("malformed key in the audit tree: \"",
                                            absl::CHexEscape(ToView(it->key())), "\""));
  }
  return GetBigEndian64(ToView(it->key())) + 1;
}

absl::Status TreeStore::Put(rocksdb::WriteBatch* batch, MerkleNodeId id,
                            const MerkleHash& hash) const {
  return ToAbsl(batch->Put(tree_, TreeNodeKey(id),
                           rocksdb::Slice(reinterpret_cast<const char*>(hash.data()), hash.size())),
                "batching an audit tree node");
}

absl::StatusOr<TreeVerification> TreeStore::Verify(
    rocksdb::ColumnFamilyHandle* events, uint64_t events_in_log, uint64_t trusted_size,
    const std::function<bool(uint64_t, uint64_t)>& progress) const {
  // One snapshot for the events and the tree: a commit meanwhile adds to
  // both, and half of it seen would look like tampering.
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  absl::Cleanup release = [&] { db_->ReleaseSnapshot(snapshot); };
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.readahead_size = kVerifyReadaheadBytes;
  read.fill_cache = false;  // one pass over old data: keep the hot blocks

  TreeCursor stored_nodes(db_, tree_, read);
  TreeVerification result;
  MerkleFrontier frontier;
  if (trusted_size == 0) result.root_at_trusted_size = frontier.Root();
  auto bad = [&](uint64_t position, std::string reason) {
    result.first_bad_position = position;
    result.reason = std::move(reason);
    result.root_hash = frontier.Root();
    return result;
  };

  // Two threads share the work (reading and hashing the events; comparing
  // with the stored tree and hashing the nodes), about half each: a hasher
  // hands leaf hashes over a chunk at a time.
  LeafHasher hasher(db_, events, read);
  uint64_t expected = 1;
  absl::Status stopped;
  for (LeafChunk chunk; stopped.ok() && hasher.Next(&chunk);) {
    for (const HashedEvent& hashed : chunk) {
      if (hashed.position == 0) {
        return bad(expected,
                   absl::StrCat("a malformed key among the events after position ", expected - 1));
      }
      if (hashed.position != expected) {
        return bad(expected,
                   absl::StrCat("no event is stored at position ", expected, " (the next is at ",
                                hashed.position, "): it was removed"));
      }
      const MerkleHash& leaf = hashed.leaf;
      absl::StatusOr<std::optional<MerkleHash>> stored_leaf =
          stored_nodes.Next(MerkleNodeId{0, expected - 1});
      if (!stored_leaf.ok()) return stored_leaf.status();
      if (!stored_leaf->has_value()) {
        return bad(expected, absl::StrCat("the audit tree has no leaf for position ", expected,
                                          ": the tree was altered"));
      }
      if (**stored_leaf != leaf) {
        std::string bytes;
        rocksdb::Status got = db_->Get(read, events, ToSlice(PositionKey(expected)), &bytes);
        if (!got.ok()) return ToAbsl(got, "reading an altered event");
        return bad(expected, DescribeAlteredEvent(expected, bytes));
      }
      std::optional<MerkleNodeId> bad_node;
      absl::Status read_error;
      frontier.Append(leaf, [&](MerkleNodeId id, const MerkleHash& hash) {
        if (id.level == 0 || bad_node.has_value() || !read_error.ok()) return;
        absl::StatusOr<std::optional<MerkleHash>> stored = stored_nodes.Next(id);
        if (!stored.ok()) {
          read_error = stored.status();
        } else if (!stored->has_value() || **stored != hash) {
          bad_node = id;
        }
      });
      if (!read_error.ok()) return read_error;
      if (bad_node.has_value()) {
        const uint64_t first = (bad_node->index << bad_node->level) + 1;
        const uint64_t last = (bad_node->index + 1) << bad_node->level;
        return bad(first, absl::StrCat("the audit tree's node over positions ", first, "..", last,
                                       " is not the hash of their events: the tree was altered"));
      }
      result.events_verified = expected;
      if (expected == trusted_size) result.root_at_trusted_size = frontier.Root();
      if (progress && expected % kVerifyProgressEvents == 0 && !progress(expected, events_in_log)) {
        stopped = absl::CancelledError("the verification was stopped");
        break;
      }
      ++expected;
    }
  }
  if (!stopped.ok()) return stopped;
  if (absl::Status read = hasher.Finish(); !read.ok()) return read;
  // Leaves past the last event: the log's tail was cut off.
  absl::StatusOr<bool> extra = stored_nodes.More();
  if (!extra.ok()) return extra.status();
  if (*extra) {
    return bad(expected, absl::StrCat("the log ends at position ", expected - 1,
                                      " but the audit tree goes on past it: the events from ",
                                      expected, " on were removed"));
  }
  result.root_hash = frontier.Root();
  if (progress) (void)progress(result.events_verified, events_in_log);
  return result;
}

}  // namespace alliance::storage
