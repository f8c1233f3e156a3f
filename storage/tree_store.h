// Storage-internal: the audit tree's nodes in the `tree` column family
// (FORMAT.md), the writer's right edge of it, and the recomputation that
// verifies them against the events. EventLog is their only user; the tree's
// hashing and proofs are merkle.h's.
//
// The tree is stored in tiles: a tile holds the leaf hashes of one subtree
// of kTreeTileLevel (up to 16 leaves, the last tile fewer), and every node
// at or below that level is computed from its tile when read; only the
// nodes above it are stored as nodes. An append thus writes about one entry
// every eight events instead of two an event (FORMAT.md says why).
#ifndef ALLIANCE_STORAGE_TREE_STORE_H_
#define ALLIANCE_STORAGE_TREE_STORE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/event_log.h"
#include "storage/merkle.h"

namespace alliance::storage {

// A tile is the subtree of this level: 2^4 = 16 leaves.
inline constexpr int kTreeTileLevel = 4;
inline constexpr uint64_t kTreeTileLeaves = uint64_t{1} << kTreeTileLevel;

// A stored entry's key: the index of the last leaf the node (or tile) may
// cover (8 bytes, big-endian), then its level (1 byte; kTreeTileLevel for a
// tile). The keys an append writes (its tile, then the nodes it completes)
// are thus each larger than every key written before: the memtable takes
// them at its end, and one scan in key order meets them in the order a
// recomputation of the tree emits them.
std::string TreeNodeKey(MerkleNodeId id);

// Reads and writes the entries of one store's `tree` family. Thread-safe
// (RocksDB's reads are).
class TreeStore {
 public:
  TreeStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* tree) : db_(db), tree_(tree) {}

  // The node, read or (at or below a tile) computed from its tile;
  // DATA_LOSS when what it needs is missing or malformed.
  absl::StatusOr<MerkleHash> Read(MerkleNodeId id) const;
  // The number of leaves stored (0: none).
  absl::StatusOr<uint64_t> LeafCount() const;

  // Recomputes the tree from the events of `events` (a snapshot of both
  // families) and compares it with the stored tiles and nodes; see
  // EventLog::VerifyTree. `events_in_log` is only for `progress`.
  absl::StatusOr<TreeVerification> Verify(
      rocksdb::ColumnFamilyHandle* events, uint64_t events_in_log, uint64_t trusted_size,
      const std::function<bool(uint64_t, uint64_t)>& progress) const;

 private:
  friend class TreeWriter;

  // The leaf hashes of tile `tile`, 32 bytes each: DATA_LOSS when missing
  // or not a whole number of hashes, at most a tile's.
  absl::StatusOr<std::string> ReadTile(uint64_t tile) const;
  absl::Status Put(rocksdb::WriteBatch* batch, MerkleNodeId id, absl::string_view value) const;

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const tree_;
};

// The tree's right edge as its writer keeps it: the frontier, and the leaves
// of the last, incomplete tile. A copy is a tree that may grow with a batch
// and replace the original once the batch is written.
//
//   TreeWriter tree = writer;               // the batch's
//   tree.Append(LeafHash(bytes), &batch);   // for each event
//   tree.Finish(&batch);                    // the open tile, once
//   ... db->Write(batch) ...; writer = tree;
class TreeWriter {
 public:
  // The writer of `store`'s tree of `size` leaves (its stored entries).
  static absl::StatusOr<TreeWriter> Load(const TreeStore* store, uint64_t size);

  uint64_t size() const { return frontier_.size(); }
  MerkleHash Root() const { return frontier_.Root(); }

  // Appends a leaf: adds a tile it completes and every node above a tile it
  // completes to `batch`.
  absl::Status Append(const MerkleHash& leaf_hash, rocksdb::WriteBatch* batch);
  // Adds the incomplete last tile to `batch` if leaves joined it since the
  // last Finish: once a batch, after its appends.
  absl::Status Finish(rocksdb::WriteBatch* batch);

 private:
  TreeWriter(const TreeStore* store, MerkleFrontier frontier, std::string open_tile)
      : store_(store), frontier_(frontier), open_tile_(std::move(open_tile)) {}

  const TreeStore* store_;
  MerkleFrontier frontier_;
  // The leaf hashes of the last tile so far (fewer than a tile's).
  std::string open_tile_;
  bool open_tile_changed_ = false;
};

}  // namespace alliance::storage

#endif  // ALLIANCE_STORAGE_TREE_STORE_H_
