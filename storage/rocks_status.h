// Storage-internal: RocksDB's statuses and slices in the project's terms.
// Only storage/*.cc include it; nothing above storage sees RocksDB.
#ifndef ALLIANCE_STORAGE_ROCKS_STATUS_H_
#define ALLIANCE_STORAGE_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace alliance::storage {

// RocksDB's status as ours, with `context` (what we were doing) in front.
// IO errors are UNAVAILABLE (the disk may come back, and nothing was
// written), a full file system RESOURCE_EXHAUSTED, corruption DATA_LOSS.
absl::Status ToAbsl(const rocksdb::Status& status, absl::string_view context);

inline rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
inline absl::string_view ToView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace alliance::storage

#endif  // ALLIANCE_STORAGE_ROCKS_STATUS_H_
