// ReadWholeFile: a small file's whole content (and ModificationTime, when it
// changed), for what is read at once and
// kept in memory (PEM files, the identity registry, the method policy, a
// seed file), never for the event log. A library of its own with nothing
// but Abseil, so that the server, the clients and the tests share it.
#ifndef ALLIANCE_STORAGE_WHOLE_FILE_H_
#define ALLIANCE_STORAGE_WHOLE_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace alliance {

// The bytes of the file at `path`. NOT_FOUND naming the path and the
// system's reason when it cannot be opened; DATA_LOSS when a read fails.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// When the file at `path` was last modified; absl::InfinitePast() when it
// cannot be looked at. What the readers of such files compare to tell
// whether to read them again.
absl::Time ModificationTime(const std::string& path);

}  // namespace alliance

#endif  // ALLIANCE_STORAGE_WHOLE_FILE_H_
