#include "services/ledger/stored_models.h"

#include <algorithm>
#include <cassert>
#include <variant>

#include "absl/strings/str_cat.h"
#include "services/domain/fold.h"
#include "storage/model_keys.h"

namespace alliance {
namespace {

// The kinds of read model, as their keys name them.
constexpr absl::string_view kProgramKind = "program";
constexpr absl::string_view kConsortiumKind = "consortium";
constexpr absl::string_view kParticipantKind = "participant";

template <typename Map>
void AddModel(const Map& models, absl::string_view kind, const std::string& id,
              StoredModels* entries) {
  auto it = models.find(id);
  assert(it != models.end());
  entries->emplace_back(storage::EncodeKey(storage::ModelKey{std::string(kind), id}),
                        domain::SerializeDeterministic(it->second));
}

}  // namespace

StoredModels ModelEntries(const domain::LedgerState& state, const domain::ChangedModels& changed) {
  StoredModels entries;
  for (const std::string& id : changed.program_ids) {
    AddModel(state.programs, kProgramKind, id, &entries);
  }
  for (const std::string& id : changed.consortium_ids) {
    AddModel(state.consortia, kConsortiumKind, id, &entries);
  }
  for (const std::string& id : changed.participant_ids) {
    AddModel(state.participants, kParticipantKind, id, &entries);
  }
  for (const std::string& id : changed.indexed_consortium_ids) {
    auto it = state.consortia.find(id);
    assert(it != state.consortia.end());
    for (auto& [index, value] : domain::IndexValuesOf(it->second)) {
      entries.emplace_back(
          storage::EncodeKey(storage::IndexKey{std::string(index), std::move(value), id}), "");
    }
  }
  std::sort(entries.begin(), entries.end());
  // A field whose Korean and English names are the same gives one key twice.
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

const std::string* FindModelEntry(const StoredModels& entries, ModelKind kind,
                                  const std::string& id) {
  const absl::string_view name = kind == ModelKind::kProgram      ? kProgramKind
                                 : kind == ModelKind::kConsortium ? kConsortiumKind
                                                                  : kParticipantKind;
  const std::string key = storage::EncodeKey(storage::ModelKey{std::string(name), id});
  auto it =
      std::lower_bound(entries.begin(), entries.end(), key,
                       [](const auto& entry, const std::string& k) { return entry.first < k; });
  if (it == entries.end() || it->first != key) return nullptr;
  return &it->second;
}

StoredModels AllModels(const domain::LedgerState& state) {
  domain::ChangedModels all;
  for (const auto& [program_id, program] : state.programs) all.program_ids.insert(program_id);
  for (const auto& [consortium_id, consortium] : state.consortia) {
    all.consortium_ids.insert(consortium_id);
    all.indexed_consortium_ids.insert(consortium_id);
  }
  for (const auto& [participant_id, participant] : state.participants) {
    all.participant_ids.insert(participant_id);
  }
  return ModelEntries(state, all);
}

absl::StatusOr<domain::LedgerState> StateFromModels(const StoredModels& models) {
  domain::LedgerState state;
  for (const auto& [encoded, value] : models) {
    absl::StatusOr<std::variant<storage::ModelKey, storage::IndexKey>> key =
        storage::DecodeModelsKey(encoded);
    if (!key.ok()) return key.status();
    // Index entries are derived from the models: checked below.
    const auto* model = std::get_if<storage::ModelKey>(&*key);
    if (model == nullptr) continue;
    bool parsed = true;
    if (model->kind == kProgramKind) {
      parsed = state.programs[model->id].ParseFromString(value);
    } else if (model->kind == kConsortiumKind) {
      parsed = state.consortia[model->id].ParseFromString(value);
    } else if (model->kind == kParticipantKind) {
      parsed = state.participants[model->id].ParseFromString(value);
    } else {
      return absl::DataLossError(
          absl::StrCat("the store holds a read model of unknown kind '", model->kind, "'"));
    }
    if (!parsed) {
      return absl::DataLossError(absl::StrCat("the stored read model '", model->kind, " ",
                                              model->id,
                                              "' does not parse; restart with "
                                              "--rebuild_read_models"));
    }
  }
  // A state that gives the same entries back is the state that wrote them.
  if (AllModels(state) != models) {
    return absl::DataLossError(
        "the stored read models are not the ones their own state gives back (an entry missing, "
        "extra or altered); restart with --rebuild_read_models");
  }
  return state;
}

}  // namespace alliance
