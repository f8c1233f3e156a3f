#include "services/ledger.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "services/domain/fold.h"

namespace alliance {

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> FoldReadModels(
    storage::EventLog& log) {
  // A fold from scratch that reads nothing but the events: the rule-index
  // entries stay pending (no committed reader), so AllModels gives every one
  // of them as the appends wrote them. They are all in memory meanwhile, as
  // the rebuild's result (one vector for ReplaceModels) is anyway.
  domain::LedgerState state;
  domain::ChangedModels changed;
  absl::Status status = log.ForEachEvent(1, [&](const v1::EventEnvelope& event) {
    domain::Fold(event, &state, &changed);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return domain::AllModels(state);
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

  // A store of an older format lacks the rule indexes the rules read: the
  // ledger would accept a reused payment reference. Rebuild it first.
  const bool outdated = ledger->log_->ModelsOutdated();
  if (options.rebuild_read_models || outdated) {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> models =
        FoldReadModels(*ledger->log_);
    if (!models.ok()) return models.status();
    if (absl::Status status = ledger->log_->ReplaceModels(*models); !status.ok()) return status;
    spdlog::info("rebuilt {} read-model entries from the log{}", models->size(),
                 outdated ? " (the store's models predated the rule indexes)" : "");
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
