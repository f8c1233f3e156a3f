// LedgerStateMachine connects the pure domain (services/domain/) to the
// storage appender: it holds the LedgerState the commands are decided
// against, folds every appended event into it, and hands the changed read
// models and the rule-index entries folded since the last commit to the
// appender's group commit. The committed rule-index entries stay on disk:
// the state reads them through this class (a RuleIndexReader over
// EventLog::GetRuleEntry, after the entries of the batch being committed), so
// memory does not grow with the log. Only the appender's decider thread
// calls it, and only that thread runs the `decide` closures that read
// state().
#ifndef ALLIANCE_SERVICES_LEDGER_STATE_MACHINE_H_
#define ALLIANCE_SERVICES_LEDGER_STATE_MACHINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/domain/ledger_state.h"
#include "storage/appender.h"
#include "storage/event_log.h"

namespace alliance {

class LedgerStateMachine final : public storage::StateMachine, private domain::RuleIndexReader {
 public:
  void Apply(const v1::EventEnvelope& event) override;
  // The changed read models and every pending rule-index entry. The entries
  // stay readable here until the next call (the appender commits them while
  // it decides the next batch, which must see them); then they are on disk,
  // where the rules find them. A failed commit is followed by Recover, which
  // refolds.
  void TakeModelWrites(std::vector<storage::ModelWrite>* model_writes,
                       std::vector<storage::ModelWrite>* rule_writes) override;
  // Refolds the read models from `log` and reads the rule indexes from it
  // from then on. Keeps no rule-index entry in memory: they are on disk,
  // committed with their events.
  absl::Status Recover(storage::EventLog& log) override;

  // The state as the last Apply left it. REQUIRES: on the appender thread.
  const domain::LedgerState& state() const { return state_; }

  // Events folded by the last Recover (for the start-up log line).
  uint64_t recovered_event_count() const { return recovered_event_count_; }

 private:
  // domain::RuleIndexReader: the committed entry, read from the store.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const override;

  domain::LedgerState state_;
  domain::ChangedModels changed_;
  // The rule-index entries the last TakeModelWrites handed over, which may
  // not be on disk yet.
  absl::btree_map<std::string, std::string> unconfirmed_rule_entries_;
  uint64_t recovered_event_count_ = 0;
  // The log Recover was last given; not owned.
  storage::EventLog* log_ = nullptr;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_STATE_MACHINE_H_
