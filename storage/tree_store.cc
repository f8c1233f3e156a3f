#include "storage/tree_store.h"

#include <array>
#include <cstring>
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

// The stored tiles and nodes in key order, which is the order the
// recomputation needs them in (a tile at its first leaf, the nodes above
// tiles as its last leaf completes them, lowest first): one iterator over
// the whole tree instead of a point read an entry.
class TreeCursor {
 public:
  TreeCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* tree, const rocksdb::ReadOptions& read)
      : it_(db->NewIterator(read, tree)) {}

  // The stored value of `id` (a tile or a node), which must be the next
  // entry; nullopt when the next stored key is another (an entry missing or
  // added).
  absl::StatusOr<std::optional<std::string>> Next(MerkleNodeId id) {
    const std::string key = TreeNodeKey(id);
    Advance();
    if (!it_->status().ok()) return ToAbsl(it_->status(), "reading the audit tree");
    if (!it_->Valid() || ToView(it_->key()) != key) return std::nullopt;
    return std::string(ToView(it_->value()));
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

// The number of leaf hashes a stored tile holds; nullopt unless it is a
// whole number of hashes, one to a tile's.
std::optional<uint64_t> TileLeaves(absl::string_view tile) {
  if (tile.empty() || tile.size() % kMerkleHashBytes != 0 ||
      tile.size() > kTreeTileLeaves * kMerkleHashBytes) {
    return std::nullopt;
  }
  return tile.size() / kMerkleHashBytes;
}

MerkleHash TileLeaf(absl::string_view tile, uint64_t offset) {
  MerkleHash leaf;
  std::memcpy(leaf.data(), tile.data() + offset * kMerkleHashBytes, kMerkleHashBytes);
  return leaf;
}

// The root of the `count` leaves (a power of two) of `tile` from `offset`.
MerkleHash SubtreeRoot(absl::string_view tile, uint64_t offset, uint64_t count) {
  std::array<MerkleHash, kTreeTileLeaves> nodes;
  for (uint64_t i = 0; i < count; ++i) nodes[i] = TileLeaf(tile, offset + i);
  for (; count > 1; count /= 2) {
    for (uint64_t i = 0; i < count / 2; ++i) nodes[i] = NodeHash(nodes[2 * i], nodes[2 * i + 1]);
  }
  return nodes[0];
}

// "positions a..b", the tile's (1-based, as the log counts).
std::string TilePositions(uint64_t tile) {
  return absl::StrCat(tile * kTreeTileLeaves + 1, "..", (tile + 1) * kTreeTileLeaves);
}

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

absl::StatusOr<std::string> TreeStore::ReadTile(uint64_t tile) const {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), tree_, TreeNodeKey({kTreeTileLevel, tile}), &value);
  if (status.IsNotFound()) {
    return absl::DataLossError(
        absl::StrCat("the audit tree lacks its tile over positions ", TilePositions(tile)));
  }
  if (!status.ok()) return ToAbsl(status, "reading the audit tree");
  if (!TileLeaves(value).has_value()) {
    return absl::DataLossError(absl::StrCat("the audit tree's tile over positions ",
                                            TilePositions(tile), " holds ", value.size(),
                                            " bytes, not a tile's leaf hashes"));
  }
  return value;
}

absl::StatusOr<MerkleHash> TreeStore::Read(MerkleNodeId id) const {
  if (id.level <= kTreeTileLevel) {
    const int below = kTreeTileLevel - id.level;
    const uint64_t tile_index = id.index >> below;
    absl::StatusOr<std::string> tile = ReadTile(tile_index);
    if (!tile.ok()) return tile.status();
    const uint64_t count = uint64_t{1} << id.level;
    const uint64_t offset = (id.index << id.level) - tile_index * kTreeTileLeaves;
    if (offset + count > *TileLeaves(*tile)) {
      return absl::DataLossError(absl::StrCat(
          "the audit tree's tile over positions ", TilePositions(tile_index),
          " lacks the leaves of ", "its node at level ", id.level, ", index ", id.index));
    }
    return SubtreeRoot(*tile, offset, count);
  }
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
  // The last key is the last tile, or a node its last leaf completed (they
  // sort after the tile).
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), tree_));
  it->SeekToLast();
  if (!it->status().ok()) return ToAbsl(it->status(), "finding the audit tree's last leaf");
  if (!it->Valid()) return 0;
  const absl::string_view key = ToView(it->key());
  const int level = key.size() == kNodeKeyBytes ? static_cast<uint8_t>(key.back()) : -1;
  if (level < kTreeTileLevel) {
    return absl::DataLossError(
        absl::StrCat("malformed key in the audit tree: \"", absl::CHexEscape(key), "\""));
  }
  const uint64_t last_leaf = GetBigEndian64(key);
  if (level > kTreeTileLevel) return last_leaf + 1;
  const std::optional<uint64_t> leaves = TileLeaves(ToView(it->value()));
  if (!leaves.has_value()) {
    return absl::DataLossError(absl::StrCat("the audit tree's last tile holds ", it->value().size(),
                                            " bytes, not leaf hashes"));
  }
  return last_leaf + 1 - kTreeTileLeaves + *leaves;
}

absl::Status TreeStore::Put(rocksdb::WriteBatch* batch, MerkleNodeId id,
                            absl::string_view value) const {
  return ToAbsl(batch->Put(tree_, TreeNodeKey(id), ToSlice(value)), "batching an audit tree entry");
}

absl::StatusOr<TreeWriter> TreeWriter::Load(const TreeStore* store, uint64_t size) {
  absl::StatusOr<MerkleFrontier> frontier =
      MerkleFrontier::Load(size, [store](MerkleNodeId id) { return store->Read(id); });
  if (!frontier.ok()) return frontier.status();
  std::string open_tile;
  if (const uint64_t leaves = size % kTreeTileLeaves; leaves > 0) {
    absl::StatusOr<std::string> tile = store->ReadTile(size / kTreeTileLeaves);
    if (!tile.ok()) return tile.status();
    if (*TileLeaves(*tile) < leaves) {
      return absl::DataLossError(
          absl::StrCat("the audit tree's last tile holds fewer than ", leaves, " leaves"));
    }
    open_tile = tile->substr(0, leaves * kMerkleHashBytes);
  }
  return TreeWriter(store, *frontier, std::move(open_tile));
}

absl::Status TreeWriter::Append(const MerkleHash& leaf_hash, rocksdb::WriteBatch* batch) {
  absl::Status status;
  frontier_.Append(leaf_hash, [&](MerkleNodeId id, const MerkleHash& hash) {
    if (!status.ok()) return;
    if (id.level == 0) {
      open_tile_.append(reinterpret_cast<const char*>(hash.data()), hash.size());
      open_tile_changed_ = true;
    } else if (id.level == kTreeTileLevel) {
      status = store_->Put(batch, id, open_tile_);
      open_tile_.clear();
      open_tile_changed_ = false;
    } else if (id.level > kTreeTileLevel) {
      status = store_->Put(
          batch, id, absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
    }
  });
  return status;
}

absl::Status TreeWriter::Finish(rocksdb::WriteBatch* batch) {
  if (!open_tile_changed_ || open_tile_.empty()) return absl::OkStatus();
  open_tile_changed_ = false;
  return store_->Put(batch, MerkleNodeId{kTreeTileLevel, size() / kTreeTileLeaves}, open_tile_);
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

  TreeCursor stored(db_, tree_, read);
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
  std::string tile;  // the stored tile of the leaf being compared
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
      const uint64_t leaf_index = expected - 1;
      const uint64_t offset = leaf_index % kTreeTileLeaves;
      if (offset == 0) {
        const uint64_t tile_index = leaf_index / kTreeTileLeaves;
        absl::StatusOr<std::optional<std::string>> next =
            stored.Next(MerkleNodeId{kTreeTileLevel, tile_index});
        if (!next.ok()) return next.status();
        if (!next->has_value()) {
          return bad(expected, absl::StrCat("the audit tree has no leaf for position ", expected,
                                            ": the tree was altered"));
        }
        tile = std::move(**next);
        if (!TileLeaves(tile).has_value()) {
          return bad(expected, absl::StrCat("the audit tree's tile over positions ",
                                            TilePositions(tile_index),
                                            " is not leaf hashes: the tree was altered"));
        }
      }
      if (offset >= *TileLeaves(tile)) {
        return bad(expected, absl::StrCat("the audit tree has no leaf for position ", expected,
                                          ": the tree was altered"));
      }
      const MerkleHash& leaf = hashed.leaf;
      if (TileLeaf(tile, offset) != leaf) {
        std::string bytes;
        rocksdb::Status got = db_->Get(read, events, ToSlice(PositionKey(expected)), &bytes);
        if (!got.ok()) return ToAbsl(got, "reading an altered event");
        return bad(expected, DescribeAlteredEvent(expected, bytes));
      }
      std::optional<MerkleNodeId> bad_node;
      absl::Status read_error;
      frontier.Append(leaf, [&](MerkleNodeId id, const MerkleHash& hash) {
        if (id.level <= kTreeTileLevel || bad_node.has_value() || !read_error.ok()) return;
        absl::StatusOr<std::optional<std::string>> node = stored.Next(id);
        if (!node.ok()) {
          read_error = node.status();
        } else if (!node->has_value() || HashFromBytes(**node) != hash) {
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
  // Leaves past the last event, in its tile or after it: the log's tail was
  // cut off.
  const uint64_t events_seen = expected - 1;
  const bool tile_goes_on =
      events_seen % kTreeTileLeaves != 0 && *TileLeaves(tile) > events_seen % kTreeTileLeaves;
  absl::StatusOr<bool> extra = stored.More();
  if (!extra.ok()) return extra.status();
  if (tile_goes_on || *extra) {
    return bad(expected, absl::StrCat("the log ends at position ", events_seen,
                                      " but the audit tree goes on past it: the events from ",
                                      expected, " on were removed"));
  }
  result.root_hash = frontier.Root();
  if (progress) (void)progress(result.events_verified, events_in_log);
  return result;
}

}  // namespace alliance::storage
