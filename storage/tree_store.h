// Storage-internal: the audit tree's nodes in the `tree` column family
// (FORMAT.md), and the recomputation that verifies them against the events.
// EventLog is its only user; the tree's hashing and proofs are merkle.h's.
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

// A node's key: the index of its last leaf (8 bytes, big-endian), then its
// level (1 byte). The keys an append writes (its leaf, then the nodes it
// completes) are thus each larger than every key written before: the
// memtable takes them at its end, and one scan in key order meets the nodes
// in the order a recomputation of the tree emits them.
std::string TreeNodeKey(MerkleNodeId id);

// Reads and writes the nodes of one store's `tree` family. Thread-safe
// (RocksDB's reads are).
class TreeStore {
 public:
  TreeStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* tree) : db_(db), tree_(tree) {}

  // The stored node; DATA_LOSS when it is missing or not 32 bytes.
  absl::StatusOr<MerkleHash> Read(MerkleNodeId id) const;
  // The number of leaves stored: the last leaf's index + 1 (0: none).
  absl::StatusOr<uint64_t> LeafCount() const;
  // Adds the node's write to `batch`.
  absl::Status Put(rocksdb::WriteBatch* batch, MerkleNodeId id, const MerkleHash& hash) const;

  // Recomputes the tree from the events of `events` (a snapshot of both
  // families) and compares it with the stored nodes; see
  // EventLog::VerifyTree. `events_in_log` is only for `progress`.
  absl::StatusOr<TreeVerification> Verify(
      rocksdb::ColumnFamilyHandle* events, uint64_t events_in_log, uint64_t trusted_size,
      const std::function<bool(uint64_t, uint64_t)>& progress) const;

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const tree_;
};

}  // namespace alliance::storage

#endif  // ALLIANCE_STORAGE_TREE_STORE_H_
