// PublishedModels: the read models as the last durable batch left them, an
// immutable snapshot the ledger core swaps in after each commit. Queries
// take one (a reference count, no lock held while they read), so they never
// wait for the decider, the committer or the disk, and a query sees one
// batch entirely or not at all.
//
// Each model is shared between consecutive snapshots until a batch changes
// it: publishing a batch copies the maps of pointers and replaces only the
// models the batch changed.
#ifndef ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_
#define ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/btree_map.h"
#include "alliance/v1/queries.pb.h"

namespace alliance {

struct PublishedModels {
  // The global position of the last event these models include; 0 for an
  // empty log.
  uint64_t position = 0;
  // By id, in id order (ListConsortia pages in this order).
  absl::btree_map<std::string, std::shared_ptr<const v1::ProgramSummary>> programs;
  absl::btree_map<std::string, std::shared_ptr<const v1::ConsortiumStatus>> consortia;
  absl::btree_map<std::string, std::shared_ptr<const v1::ParticipantStatus>> participants;
  // Each consortium's status as the store holds it (its deterministic
  // serialization, a valid wire encoding of the message): GetConsortium,
  // the most frequent call, answers with these bytes as they are, with no
  // copy or serialization of the message per query.
  absl::btree_map<std::string, std::shared_ptr<const std::string>> consortium_bytes;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_
