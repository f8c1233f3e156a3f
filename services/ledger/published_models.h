// PublishedModels: the read models as the last durable batch left them, an
// immutable snapshot the ledger core swaps in after each commit. Queries
// take one (a reference count, no lock held while they read), so they never
// wait for the decider, the committer or the disk, and a query sees one
// batch entirely or not at all.
//
// Each model, and each map of one kind of model, is shared between
// consecutive snapshots until a batch changes it: publishing a batch copies
// only the maps (of pointers) it changed and replaces only its models, whose
// bytes the commit has already made for the store.
#ifndef ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_
#define ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "alliance/v1/queries.pb.h"

namespace alliance {

// Models of one kind by id, in id order (ListConsortia pages in this order).
template <typename Model>
using ModelsById = absl::btree_map<std::string, std::shared_ptr<const Model>>;

// A consortium as published: its status as the store holds it, and the
// fields ListConsortia filters on, read from it once when it is published.
struct PublishedConsortium {
  // ConsortiumStatus, deterministic serialization (a valid wire encoding).
  std::string bytes;
  std::string program_id;
  std::string region_code;
  std::string field_ko;
  std::string field_en;
  v1::ConsortiumState state = v1::CONSORTIUM_STATE_UNSPECIFIED;
  // Every member, current or former.
  std::vector<std::string> participant_ids;

  static PublishedConsortium Of(const v1::ConsortiumStatus& status, std::string bytes) {
    PublishedConsortium published;
    published.bytes = std::move(bytes);
    published.program_id = status.program_id();
    published.region_code = status.region_code();
    published.field_ko = status.field_ko();
    published.field_en = status.field_en();
    published.state = status.state();
    for (const v1::Membership& member : status.members()) {
      published.participant_ids.push_back(member.participant().participant_id());
    }
    return published;
  }
};

// The read models are published as the bytes the commit already serialized
// for the store: a batch copies no message, and every status query answers
// with the bytes as they are.
struct PublishedModels {
  // The global position of the last event these models include; 0 for an
  // empty log.
  uint64_t position = 0;
  // Each map is shared with the previous snapshot until a batch changes one
  // of its models, so a batch of payments copies the consortia's map (tens
  // of entries), not the participants' (hundreds). Never null.
  // ProgramSummary and ParticipantStatus, serialized as stored.
  std::shared_ptr<const ModelsById<std::string>> programs =
      std::make_shared<const ModelsById<std::string>>();
  std::shared_ptr<const ModelsById<PublishedConsortium>> consortia =
      std::make_shared<const ModelsById<PublishedConsortium>>();
  std::shared_ptr<const ModelsById<std::string>> participants =
      std::make_shared<const ModelsById<std::string>>();
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_PUBLISHED_MODELS_H_
