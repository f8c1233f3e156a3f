// Stored models: the ledger core's state as the store's `models` column
// family holds it, written with every batch and loaded at start-up instead
// of a refold of the log (README, "How it is built"). The domain names what
// is stored (read models, the indexes a consortium is listed under); storage
// lays out the keys (storage/model_keys.h); this file maps one to the other.
//
//   read model                          key (storage::ModelKey)   value
//   a program's ProgramSummary          {"program", id}           deterministic serialization
//   a consortium's ConsortiumStatus     {"consortium", id}        deterministic serialization
//   a participant's ParticipantStatus   {"participant", id}       deterministic serialization
//   each of domain::IndexValuesOf(c)    storage::IndexKey{index, value, c's id}   empty
#ifndef ALLIANCE_SERVICES_LEDGER_STORED_MODELS_H_
#define ALLIANCE_SERVICES_LEDGER_STORED_MODELS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/domain/ledger_state.h"

namespace alliance {

// (encoded key, value) pairs in key order, as the store holds them.
using StoredModels = std::vector<std::pair<std::string, std::string>>;

// The entries of the programs, consortia and participants `changed` names,
// index entries included, in key order: what a batch writes.
StoredModels ModelEntries(const domain::LedgerState& state, const domain::ChangedModels& changed);

// The kinds of read model.
enum class ModelKind { kProgram, kConsortium, kParticipant };

// The stored bytes of the `kind` model `id` among `entries` (sorted, as
// ModelEntries gives them); nullptr when they hold none.
const std::string* FindModelEntry(const StoredModels& entries, ModelKind kind,
                                  const std::string& id);

// Every entry of the state, in key order: what a rebuild writes.
StoredModels AllModels(const domain::LedgerState& state);

// The state whose stored models are `models` (every entry in key order, as
// AllModels gives them). The rule index stays where it is (state.committed
// is left unset). DATA_LOSS when a key or value does not parse, or the state
// loaded does not give the same entries back byte for byte.
absl::StatusOr<domain::LedgerState> StateFromModels(const StoredModels& models);

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_STORED_MODELS_H_
