// Business dates: when an event says it happened (its payload's
// occurred_at) must be a moment it could have happened. Checked for every
// event a command decides, after its own rules, against the server's clock
// (the batch's recorded_at) and the ledger state:
//
//   OCCURRED_IN_FUTURE         occurred_at after now + kClockSkewAllowance:
//                              an event is recorded once it has happened
//   OCCURRED_BEFORE_PROGRAM    a round or a selection dated before its
//                              program was established
//   OCCURRED_BEFORE_SELECTION  a consortium's event dated before the
//                              consortium was selected
//
// all FAILED_PRECONDITION, with occurred_at and the bound in the metadata.
// The end of a consortium's life needs no date check: once it is terminated
// or completed the state rules (oversight.h) take only corrections, which are
// dated when they are made.
#ifndef ALLIANCE_SERVICES_DOMAIN_BUSINESS_DATES_H_
#define ALLIANCE_SERVICES_DOMAIN_BUSINESS_DATES_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

// How far an agency system's clock may run ahead of the server's: NTP keeps
// servers within a second; five minutes covers a machine whose clock was set
// by hand, and is far below the one-day resolution of a business date.
inline constexpr absl::Duration kClockSkewAllowance = absl::Minutes(5);

// OK, or the refusal above. `state` is the state the event was decided
// against (before it is folded); `now` the server's clock.
absl::Status CheckBusinessDate(const LedgerState& state, const v1::Event& event, absl::Time now);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_BUSINESS_DATES_H_
