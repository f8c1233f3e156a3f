#include "services/ledger/as_of.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/domain/fold.h"
#include "services/ledger/stored_models.h"

namespace alliance {
namespace {

// Events read from the log at a time while folding up to a position.
constexpr uint64_t kAsOfPageEvents = 1024;

absl::StatusOr<absl::Time> RecordedAt(storage::EventLog& log, uint64_t position) {
  absl::StatusOr<std::vector<v1::EventEnvelope>> events = log.ReadAll(position, 1);
  if (!events.ok()) return events.status();
  if (events->empty() || events->front().global_position() != position) {
    return absl::DataLossError(absl::StrCat("no event at position ", position));
  }
  const google::protobuf::Timestamp& at = events->front().recorded_at();
  return absl::FromUnixSeconds(at.seconds()) + absl::Nanoseconds(at.nanos());
}

}  // namespace

absl::StatusOr<domain::LedgerState> StateAsOf(storage::EventLog& log, uint64_t position) {
  absl::StatusOr<storage::ModelCheckpoint> checkpoint = log.CheckpointAtOrBefore(position);
  if (!checkpoint.ok()) return checkpoint.status();
  absl::StatusOr<domain::LedgerState> state = StateFromModels(checkpoint->models);
  if (!state.ok()) return state.status();
  if (checkpoint->position == position) return state;
  // On the calling thread, a page at a time: at most kCheckpointEvents
  // events, where ForEachEvent's reading threads would cost more to start
  // than they save (and each query's threads leave memory in malloc's
  // per-thread arenas).
  domain::ChangedModels changed;
  for (uint64_t next = checkpoint->position + 1; next <= position;) {
    const uint64_t count = std::min<uint64_t>(kAsOfPageEvents, position - next + 1);
    absl::StatusOr<std::vector<v1::EventEnvelope>> page = log.ReadAll(next, count);
    if (!page.ok()) return page.status();
    if (page->empty()) {
      return absl::DataLossError(absl::StrCat("no event at position ", next));
    }
    for (const v1::EventEnvelope& event : *page) domain::Fold(event, &*state, &changed);
    next = page->back().global_position() + 1;
  }
  return state;
}

absl::StatusOr<uint64_t> PositionAtTime(storage::EventLog& log, absl::Time time) {
  absl::StatusOr<uint64_t> last = log.LastPosition();
  if (!last.ok()) return last.status();
  // The largest position recorded at or before `time`, in [0, last].
  uint64_t low = 0;
  uint64_t high = *last;
  while (low < high) {
    const uint64_t middle = low + (high - low + 1) / 2;
    absl::StatusOr<absl::Time> recorded = RecordedAt(log, middle);
    if (!recorded.ok()) return recorded.status();
    if (*recorded <= time) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  return low;
}

}  // namespace alliance
