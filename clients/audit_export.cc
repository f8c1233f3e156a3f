#include "clients/audit_export.h"

#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/audit/tree_head.h"
#include "storage/event_log.h"
#include "storage/merkle.h"

namespace alliance::client {
namespace {

using google::protobuf::util::JsonStringToMessage;
using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::MessageToJsonString;

// Progress is reported every this many events: often enough for a
// terminal, rarely enough to cost nothing.
constexpr uint64_t kProgressEvents = 4096;

absl::Status WriteRecord(const v1::ExportRecord& record, std::ostream& out) {
  std::string line;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;  // proto3 JSON's lowerCamelCase
  if (!MessageToJsonString(record, &line, options).ok()) {
    return absl::InternalError("an export record does not print as JSON");
  }
  out << line << '\n';
  if (!out) return absl::UnavailableError("writing the export failed (is the disk full?)");
  return absl::OkStatus();
}

// The event its canonical bytes decode to must be the event shown.
absl::Status CheckDecoded(const v1::LoggedEvent& logged) {
  v1::EventEnvelope decoded;
  if (!decoded.ParseFromString(logged.canonical_bytes()) ||
      decoded.global_position() != logged.global_position() ||
      !MessageDifferencer::Equals(decoded, logged.event())) {
    return UntrustedError(absl::StrCat("the event at position ", logged.global_position(),
                                       " is not what its canonical bytes decode to"));
  }
  return absl::OkStatus();
}

// Reads the export's lines in order: `on_event` for each event, the head
// returned from the last line.
absl::StatusOr<v1::SignedTreeHead> ReadExport(
    const std::string& path, absl::FunctionRef<absl::Status(v1::LoggedEvent&)> on_event) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the export ", path));
  std::string line;
  uint64_t line_number = 0;
  std::optional<v1::SignedTreeHead> head;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    v1::ExportRecord record;
    if (!JsonStringToMessage(line, &record).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", line_number, " is not an ExportRecord in proto3 JSON"));
    }
    if (head.has_value()) {
      return UntrustedError(
          absl::StrCat(path, " line ", line_number, " follows the tree head, which must be last"));
    }
    switch (record.kind_case()) {
      case v1::ExportRecord::kKey:
        break;  // for information: the head is checked with the pinned key
      case v1::ExportRecord::kEvent:
        if (absl::Status s = on_event(*record.mutable_event()); !s.ok()) return s;
        break;
      case v1::ExportRecord::kTreeHead:
        head = record.tree_head();
        break;
      case v1::ExportRecord::KIND_NOT_SET:
        return absl::InvalidArgumentError(
            absl::StrCat(path, " line ", line_number, " holds no record"));
    }
  }
  if (!head.has_value()) {
    return UntrustedError(absl::StrCat(path, " ends without its signed tree head: cut short?"));
  }
  return *head;
}

}  // namespace

absl::Status WriteExport(AuditClient& audit, const VerifiedHead& head, std::ostream& out,
                         ExportProgress progress) {
  absl::StatusOr<v1::TreeHeadKey> key = audit.LoadPinnedKey();
  if (!key.ok()) return key.status();
  v1::ExportRecord record;
  *record.mutable_key() = *key;
  if (absl::Status s = WriteRecord(record, out); !s.ok()) return s;
  const uint64_t total = head.head.tree_size();
  storage::MerkleFrontier frontier;
  absl::Status read = audit.ReadLog(total, [&](const v1::LoggedEvent& event) -> absl::Status {
    if (event.global_position() != frontier.size() + 1) {
      return UntrustedError(absl::StrCat("the server sent position ", event.global_position(),
                                         " where ", frontier.size() + 1, " was next"));
    }
    if (absl::Status s = CheckDecoded(event); !s.ok()) return s;
    frontier.Append(storage::LeafHash(event.canonical_bytes()), [](auto, const auto&) {});
    v1::ExportRecord line;
    *line.mutable_event() = event;
    if (absl::Status s = WriteRecord(line, out); !s.ok()) return s;
    if (frontier.size() % kProgressEvents == 0) progress(frontier.size(), total);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (frontier.size() != total || frontier.Root() != head.root) {
    return UntrustedError(absl::StrCat("the server streamed ", frontier.size(),
                                       " events whose tree is not the signed head's (", total,
                                       " events, root ", storage::HashHex(head.root), ")"));
  }
  progress(total, total);
  v1::ExportRecord last;
  *last.mutable_tree_head() = head.head;
  if (absl::Status s = WriteRecord(last, out); !s.ok()) return s;
  out.flush();
  if (!out) return absl::UnavailableError("writing the export failed (is the disk full?)");
  return absl::OkStatus();
}

absl::StatusOr<v1::SignedTreeHead> CheckExport(const std::string& path,
                                               const v1::TreeHeadKey& pinned,
                                               ExportProgress progress) {
  storage::MerkleFrontier frontier;
  absl::StatusOr<v1::SignedTreeHead> head =
      ReadExport(path, [&](v1::LoggedEvent& event) -> absl::Status {
        if (event.global_position() != frontier.size() + 1) {
          return UntrustedError(absl::StrCat("the export holds position ", event.global_position(),
                                             " where ", frontier.size() + 1, " was next"));
        }
        if (absl::Status s = CheckDecoded(event); !s.ok()) return s;
        frontier.Append(storage::LeafHash(event.canonical_bytes()), [](auto, const auto&) {});
        if (frontier.size() % kProgressEvents == 0) progress(frontier.size(), 0);
        return absl::OkStatus();
      });
  if (!head.ok()) return head;
  if (absl::Status signed_by = VerifyTreeHead(*head, pinned); !signed_by.ok()) {
    return UntrustedError(absl::StrCat("the export's tree head: ", signed_by.message()));
  }
  if (head->tree_size() != frontier.size()) {
    return UntrustedError(absl::StrCat("the export holds ", frontier.size(),
                                       " events, its signed head ", head->tree_size()));
  }
  if (storage::HashBytes(frontier.Root()) != head->root_hash()) {
    return UntrustedError(
        absl::StrCat("the export's events give root ", storage::HashHex(frontier.Root()),
                     ", not the signed head's: an event was altered, removed or reordered"));
  }
  progress(frontier.size(), frontier.size());
  return head;
}

absl::StatusOr<ImportSummary> ImportExport(const std::string& path, const v1::SignedTreeHead& head,
                                           const std::string& data_dir, ExportProgress progress) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", data_dir, ": ", error.message()));
  }
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(data_dir, storage::EventLogOptions{});
  if (!log.ok()) return log.status();
  LogImporter importer(**log);
  if (absl::Status s = importer.Start(); !s.ok()) return s;
  absl::StatusOr<v1::SignedTreeHead> read =
      ReadExport(path, [&](v1::LoggedEvent& event) -> absl::Status {
        if (absl::Status s = importer.Add(storage::StoredEvent{
                event.global_position(), std::move(*event.mutable_canonical_bytes())});
            !s.ok()) {
          return s;
        }
        if (event.global_position() % kProgressEvents == 0) {
          progress(event.global_position(), head.tree_size());
        }
        return absl::OkStatus();
      });
  if (!read.ok()) return read.status();
  absl::StatusOr<ImportSummary> summary = importer.Finish();
  if (!summary.ok()) return summary;
  progress(summary->events, head.tree_size());
  if (summary->tree_head.tree_size != head.tree_size() ||
      storage::HashBytes(summary->tree_head.root_hash) != head.root_hash()) {
    return UntrustedError(
        absl::StrCat("the imported store's tree (", summary->tree_head.tree_size, " events, root ",
                     storage::HashHex(summary->tree_head.root_hash),
                     ") is not the export's signed head: its events were not stored as exported"));
  }
  return summary;
}

}  // namespace alliance::client
