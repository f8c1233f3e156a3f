#include "services/ledger_state_machine.h"

#include <string>
#include <utility>

#include "services/domain/fold.h"

namespace alliance {

void LedgerStateMachine::Apply(const v1::EventEnvelope& event) {
  domain::Fold(event, &state_, &changed_);
}

void LedgerStateMachine::TakeModelWrites(std::vector<storage::ModelWrite>* writes) {
  if (changed_.empty()) return;
  for (auto& [key, value] : domain::ModelEntries(state_, changed_)) {
    writes->push_back(storage::ModelWrite{std::move(key), std::move(value)});
  }
  changed_.clear();
}

absl::Status LedgerStateMachine::Recover(storage::EventLog& log) {
  state_ = domain::LedgerState();
  changed_.clear();
  recovered_event_count_ = 0;
  absl::Status status = log.ForEachEvent(1, [this](const v1::EventEnvelope& event) {
    domain::Fold(event, &state_, &changed_);
    ++recovered_event_count_;
    return absl::OkStatus();
  });
  // The models on disk were committed with these same events; nothing is
  // dirty after a recovery.
  changed_.clear();
  return status;
}

}  // namespace alliance
