// Storage-internal: the big-endian integers of the store's keys and values
// (storage/FORMAT.md), so that RocksDB's bytewise order is numeric order.
// Only storage/*.cc include it.
#ifndef ALLIANCE_STORAGE_BIG_ENDIAN_H_
#define ALLIANCE_STORAGE_BIG_ENDIAN_H_

#include <cassert>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace alliance::storage {

inline void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

inline void PutBigEndian32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// REQUIRES: bytes.size() >= 8.
inline uint64_t GetBigEndian64(absl::string_view bytes) {
  assert(bytes.size() >= 8);
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

// REQUIRES: bytes.size() >= 4.
inline uint32_t GetBigEndian32(absl::string_view bytes) {
  assert(bytes.size() >= 4);
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

// The key of the event at `global_position` in `events`: the position, 8
// bytes big-endian.
inline std::string PositionKey(uint64_t global_position) {
  std::string key;
  PutBigEndian64(&key, global_position);
  return key;
}

}  // namespace alliance::storage

#endif  // ALLIANCE_STORAGE_BIG_ENDIAN_H_
