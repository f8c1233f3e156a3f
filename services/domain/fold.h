// Fold: how each event changes the ledger state and its read models. The same
// function runs when an event is appended and when the models are rebuilt
// from the log, which is what makes a rebuild byte-identical by construction.
//
//   LedgerState state;
//   ChangedModels changed;
//   for (const v1::EventEnvelope& e : events) Fold(e, &state, &changed);
// What the fold changed is stored by the ledger core
// (services/ledger/stored_models.h).
#ifndef ALLIANCE_SERVICES_DOMAIN_FOLD_H_
#define ALLIANCE_SERVICES_DOMAIN_FOLD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "alliance/v1/events.pb.h"
#include "google/protobuf/message_lite.h"
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

// The bytes a read model is stored and compared as: its deterministic
// protobuf serialization, so a rebuild compares byte for byte.
std::string SerializeDeterministic(const google::protobuf::MessageLite& message);

// The indexes a consortium is listed under (storage keeps one entry each,
// storage/model_keys.h): its program, its region, its field in Korean and in
// English, and every participant, current or former (a withdrawal removes
// nothing: "which consortia has this enterprise been in" is a question).
inline constexpr absl::string_view kIndexProgram = "program";
inline constexpr absl::string_view kIndexRegion = "region";
inline constexpr absl::string_view kIndexField = "field";
inline constexpr absl::string_view kIndexParticipant = "participant";
// (index, value) pairs, as the fold leaves `consortium`; a field whose
// Korean and English names are equal appears twice.
std::vector<std::pair<absl::string_view, std::string>> IndexValuesOf(
    const v1::ConsortiumStatus& consortium);

// The pending rule-index entries of the state, in key order: what a commit
// writes (the caller then clears state.pending_rule_entries), and for a
// state folded from scratch, the whole rule index.
std::vector<std::pair<std::string, std::string>> RuleEntries(const LedgerState& state);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_FOLD_H_
