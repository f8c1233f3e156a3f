// Ledger is the service's core, below gRPC: the event log on disk, the state
// machine the rules are decided against, and the appender that is the log's
// one writer. The gRPC services hold a Ledger and never touch storage keys.
//
//   absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir, {});
//   (*ledger)->Submit(std::move(request));   // answered after fsync
//   (*ledger)->log().SnapshotModels();       // queries, never waiting
//   (*ledger)->Stop();                       // drains, then closes
#ifndef ALLIANCE_SERVICES_LEDGER_H_
#define ALLIANCE_SERVICES_LEDGER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/ledger_state_machine.h"
#include "storage/appender.h"
#include "storage/event_log.h"

namespace alliance {

struct LedgerOptions {
  // Throw the stored read models away and write them anew from the log before
  // serving (after a projection changed, or to check a store). Default off:
  // the models are committed with their events and are always current.
  bool rebuild_read_models = false;
  storage::AppenderOptions appender;
};

class Ledger {
 public:
  // Opens the store in `data_dir` (created when missing), recovers the state
  // from the log, rebuilds the read models if asked or if the store's are of
  // an older format (EventLog::ModelsOutdated), and starts the appender.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& data_dir,
                                                      LedgerOptions options);
  ~Ledger();

  // Hands a command to the appender; see storage/appender.h. The request's
  // `decide` may read state() (it runs on the appender thread).
  void Submit(storage::AppendRequest request) { appender_->Submit(std::move(request)); }

  // The state commands are decided against. REQUIRES: called from a `decide`
  // closure, i.e. on the appender thread.
  const domain::LedgerState& state() const { return state_machine_.state(); }

  // Reads: safe from any thread, concurrently with appends.
  storage::EventLog& log() { return *log_; }

  // Answers every queued command, stops the appender; reads still work until
  // the Ledger is destroyed. Idempotent.
  void Stop();

  // Events folded at start-up.
  uint64_t recovered_event_count() const { return state_machine_.recovered_event_count(); }

 private:
  Ledger() = default;
  std::unique_ptr<storage::EventLog> log_;
  LedgerStateMachine state_machine_;
  std::unique_ptr<storage::Appender> appender_;
};

// What a fold of the whole log gives, in key order, without writing
// anything: the read models, and with `with_rule_entries` the rule index
// too. What --rebuild_read_models writes (the read models; both when the
// store's format requires it), and what a check compares the store with.
// Holds it all in memory (unlike the server's state, whose rule index stays
// on disk).
struct FoldedLog {
  std::vector<std::pair<std::string, std::string>> models;
  std::vector<std::pair<std::string, std::string>> rule_entries;  // empty without
};
absl::StatusOr<FoldedLog> FoldLog(storage::EventLog& log, bool with_rule_entries);

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LEDGER_H_
