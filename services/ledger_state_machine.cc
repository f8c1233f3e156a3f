#include "services/ledger_state_machine.h"

#include <cassert>
#include <string>
#include <utility>

#include "services/domain/fold.h"

namespace alliance {

void LedgerStateMachine::Apply(const v1::EventEnvelope& event) {
  domain::Fold(event, &state_, &changed_);
}

void LedgerStateMachine::TakeModelWrites(std::vector<storage::ModelWrite>* model_writes,
                                         std::vector<storage::ModelWrite>* rule_writes) {
  // The previous batch's entries are on disk now (the appender's promise).
  unconfirmed_rule_entries_.clear();
  if (changed_.empty() && state_.pending_rule_entries.empty()) return;
  for (auto& [key, value] : domain::ModelEntries(state_, changed_)) {
    model_writes->push_back(storage::ModelWrite{std::move(key), std::move(value)});
  }
  for (const auto& [key, value] : state_.pending_rule_entries) {
    rule_writes->push_back(storage::ModelWrite{key, value});
  }
  changed_.clear();
  unconfirmed_rule_entries_ = std::move(state_.pending_rule_entries);
  state_.pending_rule_entries.clear();
}

absl::Status LedgerStateMachine::Recover(storage::EventLog& log) {
  log_ = &log;
  state_ = domain::LedgerState();
  state_.committed = this;
  changed_.clear();
  unconfirmed_rule_entries_.clear();
  recovered_event_count_ = 0;
  // The rule-index entries of these events were committed with them: they
  // are on disk already, and folding them again would only cost time.
  state_.fold_rule_entries = false;
  absl::Status status = log.ForEachEvent(1, [this](const v1::EventEnvelope& event) {
    domain::Fold(event, &state_, &changed_);
    ++recovered_event_count_;
    return absl::OkStatus();
  });
  state_.fold_rule_entries = true;
  // The models on disk were committed with these same events; nothing is
  // dirty after a recovery.
  changed_.clear();
  return status;
}

absl::StatusOr<std::optional<std::string>> LedgerStateMachine::Get(absl::string_view key) const {
  // Recover sets both the log and state_.committed, so a state that reads
  // through this has a log.
  assert(log_ != nullptr);
  if (auto it = unconfirmed_rule_entries_.find(key); it != unconfirmed_rule_entries_.end()) {
    return it->second;
  }
  return log_->GetRuleEntry(key);
}

}  // namespace alliance
