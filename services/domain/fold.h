// Fold: how each event changes the ledger state and its read models. The same
// function runs when an event is appended and when the models are rebuilt
// from the log, which is what makes a rebuild byte-identical by construction.
//
//   LedgerState state;
//   ChangedModels changed;
//   for (const v1::EventEnvelope& e : events) Fold(e, &state, &changed);
//   std::vector<std::pair<std::string, std::string>> models = AllModels(state);
#ifndef ALLIANCE_SERVICES_DOMAIN_FOLD_H_
#define ALLIANCE_SERVICES_DOMAIN_FOLD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

// Applies `event` to `state`, adds the programs and consortia whose read
// models it changed to `changed`, and writes the rule-index entries it
// changes into state->pending_rule_entries (unless
// state->fold_rule_entries is off). Never reads state->committed:
// recovery and rebuilds fold without touching the rule index on disk. REQUIRES: the event was
// decided against this state (the fold asserts the invariants decide guarantees, e.g. that the
// consortium of a FundsDisbursed exists).
void Fold(const v1::EventEnvelope& event, LedgerState* state, ChangedModels* changed);

// The read-model entries (key, deterministic serialization) of the changed
// programs, consortia and participants, index entries included, in key
// order.
std::vector<std::pair<std::string, std::string>> ModelEntries(const LedgerState& state,
                                                              const ChangedModels& changed);

// Every read-model entry of the state, in key order: a rebuild writes these.
std::vector<std::pair<std::string, std::string>> AllModels(const LedgerState& state);

// The state whose read models are `models` (every entry in key order, as
// AllModels gives them): a store's read models, committed with their events,
// loaded instead of a fold of the whole log. The rule index stays where it
// is (state.committed is left unset). DATA_LOSS when an entry does not parse
// or the state loaded does not give the same entries back byte for byte.
absl::StatusOr<LedgerState> StateFromModels(
    const std::vector<std::pair<std::string, std::string>>& models);

// The pending rule-index entries of the state, in key order: what a commit
// writes (the caller then clears state.pending_rule_entries), and for a
// state folded from scratch, the whole rule index.
std::vector<std::pair<std::string, std::string>> RuleEntries(const LedgerState& state);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_FOLD_H_
