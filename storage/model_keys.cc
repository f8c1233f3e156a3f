#include "storage/model_keys.h"

#include <cassert>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace alliance::storage {
namespace {

// Spelled with an explicit length: a plain "\0" literal would be empty.
constexpr absl::string_view kSeparator("\0", 1);

}  // namespace

std::string EncodeKey(const ModelKey& key) {
  assert(key.kind != kIndexKind);
  return absl::StrCat(key.kind, kSeparator, key.id);
}

std::string EncodeKey(const IndexKey& key) {
  return absl::StrCat(kIndexKind, kSeparator, key.index, kSeparator, key.value, kSeparator, key.id);
}

absl::StatusOr<std::variant<ModelKey, IndexKey>> DecodeModelsKey(absl::string_view key) {
  std::vector<absl::string_view> parts = absl::StrSplit(key, kSeparator);
  if (parts.size() == 2 && parts[0] != kIndexKind) {
    return ModelKey{std::string(parts[0]), std::string(parts[1])};
  }
  if (parts.size() == 4 && parts[0] == kIndexKind) {
    return IndexKey{std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
  }
  return absl::DataLossError(
      absl::StrCat("a key of the models family has ", parts.size(),
                   " parts; want <kind> 0x00 <id> or index 0x00 <index> 0x00 <value> 0x00 <id>"));
}

}  // namespace alliance::storage
