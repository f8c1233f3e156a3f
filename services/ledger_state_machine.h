// LedgerStateMachine connects the pure domain (services/domain/) to the
// storage appender: it holds the LedgerState the commands are decided
// against, folds every appended event into it, and hands the changed read
// models to the appender's group commit. Only the appender thread calls it,
// and only the appender thread runs the `decide` closures that read state().
#ifndef ALLIANCE_SERVICES_LEDGER_STATE_MACHINE_H_
#define ALLIANCE_SERVICES_LEDGER_STATE_MACHINE_H_

#include <cstdint>
#include <vector>

#include "services/domain/ledger_state.h"
#include "storage/appender.h"

namespace alliance {

class LedgerStateMachine final : public storage::StateMachine {
 public:
  void Apply(const v1::EventEnvelope& event) override;
  void TakeModelWrites(std::vector<storage::ModelWrite>* writes) override;
  absl::Status Recover(storage::EventLog& log) override;

  // The state as the last Apply left it. REQUIRES: on the appender thread.
  const domain::LedgerState& state() const { return state_; }

  // Events folded by the last Recover (for the start-up log line).
  uint64_t recovered_event_count() const { return recovered_event_count_; }

 private:
  domain::LedgerState state_;
  domain::ChangedModels changed_;
  uint64_t recovered_event_count_ = 0;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_STATE_MACHINE_H_
