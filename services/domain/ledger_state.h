// LedgerState is everything the program's rules are decided against, folded
// from the event log. It is the read models themselves (ProgramSummary and
// ConsortiumStatus, the messages the query service returns) plus the few
// indexes that rules need and no query shows. Keeping one fold for both means
// a rule and a status query can never disagree about, say, a year's total.
//
// Pure data: no locks, no I/O. Only the appender thread touches the live
// instance; tests build their own.
#ifndef ALLIANCE_SERVICES_DOMAIN_LEDGER_STATE_H_
#define ALLIANCE_SERVICES_DOMAIN_LEDGER_STATE_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "alliance/v1/queries.pb.h"

namespace alliance::domain {

// A FundsDisbursed event, as a reversal needs to find it.
struct DisbursementRecord {
  std::string consortium_id;
  int32_t program_year = 0;
  int64_t amount_krw = 0;
  std::string payment_reference;
  bool reversed = false;
};

struct LedgerState {
  // By program_id / consortium_id; ordered so that a rebuild writes the same
  // models in the same order every time.
  absl::btree_map<std::string, v1::ProgramSummary> programs;
  absl::btree_map<std::string, v1::ConsortiumStatus> consortia;
  // PaymentKey(consortium_id, payment_reference) -> event_id of the
  // FundsDisbursed that used it (domain rule 3: one reference, one payment).
  absl::flat_hash_map<std::string, std::string> payment_event_ids;
  // event_id of every FundsDisbursed -> what it paid.
  absl::flat_hash_map<std::string, DisbursementRecord> disbursements;
};

// "consortium_id\0payment_reference": ids cannot hold '\0'.
std::string PaymentKey(const std::string& consortium_id, const std::string& payment_reference);

// Which read models a fold changed, so that only those are written.
struct ChangedModels {
  absl::btree_set<std::string> program_ids;
  absl::btree_set<std::string> consortium_ids;
  bool empty() const { return program_ids.empty() && consortium_ids.empty(); }
  void clear() {
    program_ids.clear();
    consortium_ids.clear();
  }
};

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_LEDGER_STATE_H_
