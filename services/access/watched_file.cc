#include "services/access/watched_file.h"

#include <spdlog/spdlog.h>

#include "storage/whole_file.h"

namespace alliance::watched_file_internal {

absl::StatusOr<std::string> ReadText(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok())
    return absl::Status(text.status().code(),
                        absl::StrCat("the ", what, ": ", text.status().message()));
  return text;
}

void LogRejected(absl::string_view what, const std::string& path, const absl::Status& why) {
  spdlog::error("the {} {} changed but is not used: {}; the previous version stays",
                std::string(what), path, std::string(why.message()));
}

void LogRead(absl::string_view what, const std::string& path) {
  spdlog::info("{} read from {}", std::string(what), path);
}

}  // namespace alliance::watched_file_internal
