// Export and import of the whole history, for an auditor who replays it
// elsewhere (issue 14, alliancectl audit export / import). The file is
// newline-delimited proto3 JSON, one alliance.v1.ExportRecord a line
// (proto/alliance/v1/audit.proto): the server's key, every event with its
// canonical bytes, then the signed tree head of exactly those events.
//
// Nothing in a file is trusted: CheckExport recomputes the tree from every
// event's canonical bytes and checks the head's size, root and signature
// with the key the auditor pinned, before ImportExport writes anything; and
// after writing, the new store's own root must be the head's.
//
//   absl::StatusOr<v1::SignedTreeHead> head = CheckExport(path, pinned_key, progress);
//   if (head.ok()) summary = ImportExport(path, *head, "/tmp/audit-store", progress);
#ifndef ALLIANCE_CLIENTS_AUDIT_EXPORT_H_
#define ALLIANCE_CLIENTS_AUDIT_EXPORT_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alliance/v1/audit.pb.h"
#include "clients/audit_client.h"
#include "services/ledger/import.h"

namespace alliance::client {

// Called with (events done, events in all) every so often.
using ExportProgress = absl::FunctionRef<void(uint64_t, uint64_t)>;

// Writes the export of `head`'s tree to `out`: the key, events 1..tree_size
// as the server streams them, then the head. Recomputes the tree while
// writing: untrusted (IsUntrusted) when the events streamed do not give the
// head's root, or an event's canonical bytes do not decode to the event
// shown beside them.
absl::Status WriteExport(AuditClient& audit, const VerifiedHead& head, std::ostream& out,
                         ExportProgress progress);

// Reads the export at `path` and checks it, writing nothing: each line an
// ExportRecord; the events at positions 1..n in order, each one's decoded
// event the decoding of its canonical bytes; the last line a head of size n
// whose root is the tree recomputed here and whose signature verifies with
// `pinned`. Untrusted when a check fails; INVALID_ARGUMENT for a file that
// is not an export at all. Returns the head.
absl::StatusOr<v1::SignedTreeHead> CheckExport(const std::string& path,
                                               const v1::TreeHeadKey& pinned,
                                               ExportProgress progress);

// Writes the events of the export at `path` (checked by CheckExport) into
// the empty store at `data_dir` (created when missing) as they were, and
// rebuilds its read models; untrusted when the store's root then is not
// `head`'s. FAILED_PRECONDITION when the store holds events.
absl::StatusOr<ImportSummary> ImportExport(const std::string& path, const v1::SignedTreeHead& head,
                                           const std::string& data_dir, ExportProgress progress);

}  // namespace alliance::client

#endif  // ALLIANCE_CLIENTS_AUDIT_EXPORT_H_
