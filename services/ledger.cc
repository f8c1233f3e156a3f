#include "services/ledger.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "services/domain/fold.h"

namespace alliance {

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> FoldReadModels(
    storage::EventLog& log) {
  LedgerStateMachine fresh;
  if (absl::Status status = fresh.Recover(log); !status.ok()) return status;
  return domain::AllModels(fresh.state());
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

  if (options.rebuild_read_models) {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> models =
        FoldReadModels(*ledger->log_);
    if (!models.ok()) return models.status();
    if (absl::Status status = ledger->log_->ReplaceModels(*models); !status.ok()) return status;
    spdlog::info("rebuilt {} read-model entries from the log", models->size());
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
