// LogImporter: a log exported from another store (alliancectl audit export)
// written into an empty one as it was: the same positions, streams,
// versions, event ids and stored bytes, so the same audit tree and root;
// then its read models and rule index rebuilt by the fold every store uses.
// What an auditor does on a laptop with an export and no access to the
// production store.
//
// The importer checks what the store would otherwise assert (positions from
// 1 without gaps, each stream's versions from 1 without gaps) and refuses a
// file that breaks it with INVALID_ARGUMENT before writing the batch. It
// does not check the file's origin: the caller verifies the export's signed
// head and recomputes its root first, and compares the store's root with it
// after Finish().
//
//   LogImporter importer(*log);                  // an empty, writable log
//   for (...) if (absl::Status s = importer.Add(stored); !s.ok()) return s;
//   absl::StatusOr<ImportSummary> done = importer.Finish();
#ifndef ALLIANCE_SERVICES_LEDGER_IMPORT_H_
#define ALLIANCE_SERVICES_LEDGER_IMPORT_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/event_log.h"

namespace alliance {

// Events an import writes in one batch.
inline constexpr size_t kImportBatchEvents = 4096;

struct ImportSummary {
  uint64_t events = 0;
  size_t read_models = 0;
  size_t rule_entries = 0;
  storage::TreeHead tree_head;
};

class LogImporter {
 public:
  // `log` must be empty and writable, and outlive the importer.
  explicit LogImporter(storage::EventLog& log) : log_(log) {}

  // FAILED_PRECONDITION unless the log is empty.
  absl::Status Start();
  // The next event, as stored. INVALID_ARGUMENT when it does not parse, is
  // not at the next position, or does not continue its stream.
  absl::Status Add(const storage::StoredEvent& event);
  // Writes what is left and rebuilds the read models and the rule index.
  absl::StatusOr<ImportSummary> Finish();

 private:
  absl::Status Flush();

  storage::EventLog& log_;
  uint64_t next_position_ = 1;
  absl::flat_hash_map<std::string, uint64_t> stream_versions_;
  storage::CommitBatch batch_;
  size_t batch_events_ = 0;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_IMPORT_H_
