// The keys of the `models` column family (storage/FORMAT.md), typed. The
// layer above names what it stores (a read model's kind and id, an index's
// name and value); storage lays out the bytes, here and nowhere else:
//
//   ModelKey{"consortium", "chungnam"}         consortium 0x00 chungnam
//   IndexKey{"region", "KR-44", "chungnam"}    index 0x00 region 0x00 KR-44 0x00 chungnam
//
// No part may hold 0x00 (ids and names never do: validation refuses it), so
// the encoding is unambiguous and the keys under one index value share the
// prefix "index 0x00 <index> 0x00 <value> 0x00" and no other value's.
#ifndef ALLIANCE_STORAGE_MODEL_KEYS_H_
#define ALLIANCE_STORAGE_MODEL_KEYS_H_

#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace alliance::storage {

// One read model: `kind` ("consortium"), then its id. REQUIRES: kind is not
// kIndexKind.
struct ModelKey {
  std::string kind;
  std::string id;
  bool operator==(const ModelKey&) const = default;
};

// One index entry: read model `id` is listed under `value` of index `index`
// ("region", "KR-44"). Its value in the store is empty.
struct IndexKey {
  std::string index;
  std::string value;
  std::string id;
  bool operator==(const IndexKey&) const = default;
};

// The first part of every index entry's key.
inline constexpr absl::string_view kIndexKind = "index";

std::string EncodeKey(const ModelKey& key);
std::string EncodeKey(const IndexKey& key);

// A key of the `models` family read back; DATA_LOSS when it is neither
// shape (no separator, an index key without its four parts).
absl::StatusOr<std::variant<ModelKey, IndexKey>> DecodeModelsKey(absl::string_view key);

}  // namespace alliance::storage

#endif  // ALLIANCE_STORAGE_MODEL_KEYS_H_
