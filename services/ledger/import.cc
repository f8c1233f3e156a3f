#include "services/ledger/import.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/ledger/ledger.h"

namespace alliance {
namespace {

// The fingerprint an imported command's event-id entry holds: the export
// carries events, not the requests that made them, so a retry against the
// imported store is told the id is used whatever it sends.
const std::string& UnknownRequestSha256() {
  static const std::string unknown(32, '\0');
  return unknown;
}

absl::Status Refused(uint64_t position, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("the export's event at position ", position, " ", why));
}

}  // namespace

absl::Status LogImporter::Start() {
  absl::StatusOr<uint64_t> last = log_.LastPosition();
  if (!last.ok()) return last.status();
  if (*last != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the store already holds ", *last, " events: import into an empty folder"));
  }
  if (absl::Status writable = log_.WritableStatus(); !writable.ok()) return writable;
  return absl::OkStatus();
}

absl::Status LogImporter::Add(const storage::StoredEvent& stored) {
  v1::EventEnvelope event;
  if (!event.ParseFromString(stored.bytes))
    return Refused(stored.global_position, "does not parse");
  if (stored.global_position != next_position_ || event.global_position() != next_position_) {
    return Refused(stored.global_position,
                   absl::StrCat("is not the next position, ", next_position_));
  }
  if (event.stream_id().empty() || event.event_id().empty()) {
    return Refused(stored.global_position, "has no stream or no event id");
  }
  uint64_t& version = stream_versions_[event.stream_id()];
  if (event.stream_version() != version + 1) {
    return Refused(stored.global_position,
                   absl::StrCat("is version ", event.stream_version(), " of ", event.stream_id(),
                                ", not ", version + 1));
  }
  version = event.stream_version();
  // Event i > 0 of a command carries "<command id>#<i>" (FORMAT.md,
  // event_ids): it joins the command before it.
  const bool continues =
      !batch_.commands.empty() &&
      absl::StartsWith(event.event_id(), absl::StrCat(batch_.commands.back().event_id, "#"));
  if (!continues) {
    // A command's events stay in one batch: flush only at a command's start.
    if (batch_events_ >= kImportBatchEvents) {
      if (absl::Status s = Flush(); !s.ok()) return s;
    }
    batch_.commands.push_back({event.event_id(), UnknownRequestSha256(), {}});
  }
  batch_.commands.back().events.push_back(std::move(event));
  ++next_position_;
  ++batch_events_;
  return absl::OkStatus();
}

absl::Status LogImporter::Flush() {
  if (batch_.commands.empty()) return absl::OkStatus();
  absl::Status status = log_.Commit(batch_);
  batch_ = storage::CommitBatch();
  batch_events_ = 0;
  return status;
}

absl::StatusOr<ImportSummary> LogImporter::Finish() {
  if (absl::Status s = Flush(); !s.ok()) return s;
  absl::StatusOr<FoldedLog> folded = FoldLog(log_, /*with_rule_entries=*/true);
  if (!folded.ok()) return folded.status();
  if (absl::Status s = log_.ReplaceModels(folded->models, &folded->rule_entries); !s.ok()) {
    return s;
  }
  ImportSummary summary;
  summary.events = next_position_ - 1;
  summary.read_models = folded->models.size();
  summary.rule_entries = folded->rule_entries.size();
  summary.tree_head = log_.CurrentTreeHead();
  return summary;
}

}  // namespace alliance
