// PublishedModels: the read models as the last durable batch left them, an
// immutable snapshot the ledger core swaps in after each commit. Queries
// take one (a reference count, no lock held while they read), so they never
// wait for the decider, the committer or the disk, and a query sees one
// batch entirely or not at all.
//
// Each model, and each map of one kind of model, is shared between
// consecutive snapshots until a batch changes it: publishing a batch copies
// only the maps (of pointers) it changed and replaces only its models.
#ifndef ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_
#define ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/btree_map.h"
#include "alliance/v1/queries.pb.h"

namespace alliance {

// Models of one kind by id, in id order (ListConsortia pages in this order).
template <typename Model>
using ModelsById = absl::btree_map<std::string, std::shared_ptr<const Model>>;

struct PublishedModels {
  // The global position of the last event these models include; 0 for an
  // empty log.
  uint64_t position = 0;
  // Each map is shared with the previous snapshot until a batch changes one
  // of its models, so a batch of payments copies the consortia's map (tens
  // of entries), not the participants' (hundreds). Never null.
  std::shared_ptr<const ModelsById<v1::ProgramSummary>> programs =
      std::make_shared<const ModelsById<v1::ProgramSummary>>();
  std::shared_ptr<const ModelsById<v1::ConsortiumStatus>> consortia =
      std::make_shared<const ModelsById<v1::ConsortiumStatus>>();
  std::shared_ptr<const ModelsById<v1::ParticipantStatus>> participants =
      std::make_shared<const ModelsById<v1::ParticipantStatus>>();
  // Each consortium's status as the store holds it (its deterministic
  // serialization, a valid wire encoding of the message): GetConsortium,
  // the most frequent call, answers with these bytes as they are, with no
  // copy or serialization of the message per query.
  std::shared_ptr<const ModelsById<std::string>> consortium_bytes =
      std::make_shared<const ModelsById<std::string>>();
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_
