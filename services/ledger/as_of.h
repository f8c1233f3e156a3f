// The read models as they stood at any moment of the log: the fold of its
// prefix up to a position, computed from the newest read-model checkpoint at
// or before it (the ledger core writes one every kCheckpointEvents events)
// and the events after that one. For auditors' "how did this stand then".
//
//   absl::StatusOr<uint64_t> position = PositionAtTime(log, as_of_time);
//   absl::StatusOr<domain::LedgerState> then = StateAsOf(log, *position);
//   auto it = then->consortia.find(id);   // as it stood then, if it existed
#ifndef ALLIANCE_SERVICES_LEDGER_AS_OF_H_
#define ALLIANCE_SERVICES_LEDGER_AS_OF_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/domain/ledger_state.h"
#include "storage/event_log.h"

namespace alliance {

// The state after the event at `position` (0: the empty ledger), folded
// from the newest checkpoint at or before it. REQUIRES: position <= the
// log's last position. Reads the store only; any thread.
absl::StatusOr<domain::LedgerState> StateAsOf(storage::EventLog& log, uint64_t position);

// The position of the last event recorded at or before `time` (0 when none
// was), by binary search over the log: events are recorded in position
// order by the server's clock.
absl::StatusOr<uint64_t> PositionAtTime(storage::EventLog& log, absl::Time time);

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_AS_OF_H_
