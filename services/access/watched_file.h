// A file the operator edits while the server runs (the identity registry,
// the method policy), kept parsed: read at Open, read again when its
// modification time changes (looked at once every `refresh`, on the caller
// of Current(): a stat, no more) or at once on Reload(). A version that
// cannot be read or does not parse is logged, and the previous one stays.
// Thread-safe.
//
//   absl::StatusOr<std::unique_ptr<WatchedFile<Policy>>> policy = WatchedFile<Policy>::Open(
//       "var/authz-policy.json", "method policy", absl::Seconds(5), ParsePolicy);
//   std::shared_ptr<const Policy> now = (*policy)->Current();
#ifndef ALLIANCE_SERVICES_ACCESS_WATCHED_FILE_H_
#define ALLIANCE_SERVICES_ACCESS_WATCHED_FILE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/mutex.h"
#include "storage/whole_file.h"

namespace alliance {
namespace watched_file_internal {

// The file's text; NOT_FOUND naming it when it cannot be read.
absl::StatusOr<std::string> ReadText(const std::string& path, absl::string_view what);
// Logs a version not used, or one read.
void LogRejected(absl::string_view what, const std::string& path, const absl::Status& why);
void LogRead(absl::string_view what, const std::string& path);

}  // namespace watched_file_internal

template <typename T>
class WatchedFile {
 public:
  using Parse = std::function<absl::StatusOr<T>(absl::string_view text)>;

  // Reads and parses `path` (`what` names it in messages); fails when it
  // cannot be read or does not parse, with the path in the message.
  static absl::StatusOr<std::unique_ptr<WatchedFile>> Open(std::string path, std::string what,
                                                           absl::Duration refresh, Parse parse) {
    std::unique_ptr<WatchedFile> file(
        new WatchedFile(std::move(path), std::move(what), refresh, std::move(parse)));
    MutexLock lock(&file->mu_);
    if (absl::Status s = file->ReadLocked(); !s.ok()) return s;
    return file;
  }

  // The version in force (read again first if the file changed).
  std::shared_ptr<const T> Current() {
    MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (now >= next_check_) {
      next_check_ = now + refresh_;
      if (ModificationTime(path_) != modified_) (void)ReadLocked();
    }
    return current_;
  }

  // Reads the file again now; on an error the previous version stays and
  // the error is returned.
  absl::Status Reload() {
    MutexLock lock(&mu_);
    return ReadLocked();
  }

 private:
  WatchedFile(std::string path, std::string what, absl::Duration refresh, Parse parse)
      : path_(std::move(path)),
        what_(std::move(what)),
        refresh_(refresh),
        parse_(std::move(parse)) {}

  absl::Status ReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    modified_ = ModificationTime(path_);
    next_check_ = absl::Now() + refresh_;
    absl::StatusOr<std::string> text = watched_file_internal::ReadText(path_, what_);
    absl::StatusOr<T> parsed = text.ok() ? parse_(*text) : absl::StatusOr<T>(text.status());
    if (!parsed.ok()) {
      absl::Status why(parsed.status().code(),
                       absl::StrCat(path_, ": ", parsed.status().message()));
      if (current_ != nullptr) watched_file_internal::LogRejected(what_, path_, why);
      return why;
    }
    current_ = std::make_shared<const T>(*std::move(parsed));
    watched_file_internal::LogRead(what_, path_);
    return absl::OkStatus();
  }

  const std::string path_;
  const std::string what_;
  const absl::Duration refresh_;
  const Parse parse_;
  Mutex mu_;
  std::shared_ptr<const T> current_ ABSL_GUARDED_BY(mu_);
  absl::Time modified_ ABSL_GUARDED_BY(mu_);
  absl::Time next_check_ ABSL_GUARDED_BY(mu_);
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_ACCESS_WATCHED_FILE_H_
