#include "services/ledger.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "services/domain/fold.h"

namespace alliance {

absl::StatusOr<FoldedLog> FoldLog(storage::EventLog& log, bool with_rule_entries) {
  // A fold from scratch that reads nothing but the events: the rule-index
  // entries stay pending (no committed reader), so RuleEntries gives every
  // one of them as the appends wrote them. They are all in memory meanwhile,
  // as the rebuild's result (one vector for ReplaceModels) is anyway.
  domain::LedgerState state;
  state.fold_rule_entries = with_rule_entries;
  domain::ChangedModels changed;
  absl::Status status = log.ForEachEvent(1, [&](const v1::EventEnvelope& event) {
    domain::Fold(event, &state, &changed);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  FoldedLog folded;
  folded.models = domain::AllModels(state);
  if (with_rule_entries) folded.rule_entries = domain::RuleEntries(state);
  return folded;
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& data_dir,
                                                     LedgerOptions options) {
  // "Created when missing" includes its parents: RocksDB makes only the last
  // folder of the path.
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the data directory ", data_dir, ": ", error.message()));
  }
  std::unique_ptr<Ledger> ledger(new Ledger());
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(data_dir, storage::EventLogOptions{});
  if (!log.ok()) return log.status();
  ledger->log_ = std::move(*log);

  // A store of an older format lacks models or the rule index the rules
  // read: the ledger would accept a reused payment reference. Rebuild both
  // first. Asked to, rebuild the read models (the rule index, like the
  // stream and event-id indexes, is written with its events).
  const bool outdated = ledger->log_->ModelsOutdated();
  if (options.rebuild_read_models || outdated) {
    absl::StatusOr<FoldedLog> folded = FoldLog(*ledger->log_, /*with_rule_entries=*/outdated);
    if (!folded.ok()) return folded.status();
    if (absl::Status status =
            ledger->log_->ReplaceModels(folded->models, outdated ? &folded->rule_entries : nullptr);
        !status.ok()) {
      return status;
    }
    spdlog::info(
        "rebuilt {} read-model entries{} from the log{}", folded->models.size(),
        outdated ? absl::StrCat(" and ", folded->rule_entries.size(), " rule-index entries") : "",
        outdated ? " (the store's format predated them)" : "");
  }

  absl::StatusOr<std::unique_ptr<storage::Appender>> appender = storage::Appender::Start(
      ledger->log_.get(), &ledger->state_machine_, std::move(options.appender));
  if (!appender.ok()) return appender.status();
  ledger->appender_ = std::move(*appender);
  return ledger;
}

Ledger::~Ledger() { Stop(); }

void Ledger::Stop() {
  if (appender_) appender_->Stop();
}

}  // namespace alliance
