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

#include "alliance/v1/events.pb.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

// Applies `event` to `state`, adds the programs and consortia whose read
// models it changed to `changed`, and writes the rule-index entries it
// changes into state->pending_rule_entries. Never reads state->committed:
// recovery and rebuilds fold without touching the rule index on disk. REQUIRES: the event was
// decided against this state (the fold asserts the invariants decide guarantees, e.g. that the
// consortium of a FundsDisbursed exists).
void Fold(const v1::EventEnvelope& event, LedgerState* state, ChangedModels* changed);

// The read-model entries (key, deterministic serialization) of the changed
// programs and consortia, index entries included, and every pending
// rule-index entry of the state, in key order. The caller that commits them
// then clears state.pending_rule_entries.
std::vector<std::pair<std::string, std::string>> ModelEntries(const LedgerState& state,
                                                              const ChangedModels& changed);

// Every read-model entry of the state, in key order: a rebuild writes these.
// Holds every rule-index entry only for a state folded from scratch whose
// pending entries were never cleared (what a rebuild folds).
std::vector<std::pair<std::string, std::string>> AllModels(const LedgerState& state);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_FOLD_H_
