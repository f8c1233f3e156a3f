// LedgerState is everything the program's rules are decided against, folded
// from the event log. It is the read models themselves (ProgramSummary and
// ConsortiumStatus, the messages the query service returns) plus the rule
// indexes that rules need and no query shows. Keeping one fold for both
// means a rule and a status query can never disagree about, say, a year's
// total.
//
// The read models are small (one per program, consortium and participant,
// growing with the program's people, not its payments) and live in
// memory. The rule indexes grow with every payment (one entry per payment
// reference, one per disbursement), so they do not: they are entries of the
// store's `rules` column family (rule_keys.h), written in the same group
// commit as their events. The state holds only the entries folded since the
// last commit (`pending_rule_entries`) and reads the rest through a
// RuleIndexReader, so memory stays flat however long the log grows:
//
//   fold          writes pending_rule_entries (never reads the store)
//   decide        LookUpRuleEntry: pending first, then `committed`
//   commit        the ledger core writes pending with the batch and clears it
//
// Pure data and an interface: no locks, no I/O of its own. Only the ledger
// core's decider thread touches the live instance; tests build their own.
#ifndef ALLIANCE_SERVICES_DOMAIN_LEDGER_STATE_H_
#define ALLIANCE_SERVICES_DOMAIN_LEDGER_STATE_H_

#include <optional>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "alliance/internal/v1/rule_index.pb.h"
#include "alliance/v1/queries.pb.h"

namespace alliance::domain {

// The rule-index entries already committed to the store. Implemented over
// the event log by the ledger core (services/ledger/ledger.cc), over a map
// by tests.
class RuleIndexReader {
 public:
  virtual ~RuleIndexReader() = default;
  // The committed value under `key` (a PaymentRuleKey or DisbursementRuleKey),
  // nullopt when there is none; an error when the store could not be read.
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const = 0;
};

struct LedgerState {
  // By program_id / consortium_id; ordered so that a rebuild writes the same
  // models in the same order every time.
  absl::btree_map<std::string, v1::ProgramSummary> programs;
  absl::btree_map<std::string, v1::ConsortiumStatus> consortia;
  // By participant_id (business registration number).
  absl::btree_map<std::string, v1::ParticipantStatus> participants;
  // Rule-index entries (key -> value, rule_keys.h) folded since the last
  // commit; ordered, so they are written in key order.
  absl::btree_map<std::string, std::string> pending_rule_entries;
  // Where the committed entries are read; nullptr when nothing is committed
  // (a fold from scratch keeps every entry pending). Not owned.
  const RuleIndexReader* committed = nullptr;
  // Whether the fold writes rule-index entries. A recovery (its events'
  // entries are on disk already) and a rebuild of the read models alone
  // turn it off: the entries are most of a payment's fold.
  bool fold_rule_entries = true;
};

// The value of rule-index entry `key`: the pending one if the fold wrote it
// since the last commit, otherwise the committed one; nullopt when neither
// holds it. Fails UNAVAILABLE (RULE_INDEX_UNAVAILABLE) when the store could
// not be read: the command fails, not the server.
absl::StatusOr<std::optional<std::string>> LookUpRuleEntry(const LedgerState& state,
                                                           absl::string_view key);

// The disbursement record of FundsDisbursed `event_id`, nullopt when no such
// event was folded. Fails like LookUpRuleEntry, and DATA_LOSS when the stored
// record does not parse.
absl::StatusOr<std::optional<internal::v1::DisbursementRecord>> LookUpDisbursement(
    const LedgerState& state, absl::string_view event_id);

// Which read models a fold changed, so that only those are written. (The
// rule-index entries it wrote are LedgerState::pending_rule_entries.)
struct ChangedModels {
  absl::btree_set<std::string> program_ids;
  absl::btree_set<std::string> consortium_ids;
  absl::btree_set<std::string> participant_ids;
  // Consortia whose index entries (program, region, field, participant) must
  // be written: only a selection or a participant joining sets the indexed
  // attributes, so a payment need not rewrite them (they were most of a
  // batch's write volume).
  absl::btree_set<std::string> indexed_consortium_ids;
  bool empty() const {
    return program_ids.empty() && consortium_ids.empty() && participant_ids.empty();
  }
  void clear() {
    program_ids.clear();
    consortium_ids.clear();
    participant_ids.clear();
    indexed_consortium_ids.clear();
  }
};

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_LEDGER_STATE_H_
