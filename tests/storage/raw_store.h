// The store opened with RocksDB directly, as a newer, broken or malicious
// program would: tests change stored bytes behind EventLog's back with it.
// The column families are FORMAT.md's.
#ifndef ALLIANCE_TESTS_STORAGE_RAW_STORE_H_
#define ALLIANCE_TESTS_STORAGE_RAW_STORE_H_

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "rocksdb/db.h"

namespace alliance::storage {

// The key of the event at `global_position` in `events`: 8 bytes,
// big-endian (FORMAT.md).
inline std::string EventKey(uint64_t global_position) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i, global_position >>= 8) key[i] = static_cast<char>(global_position);
  return key;
}

class RawStore {
 public:
  explicit RawStore(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "events", "streams", "event_ids", "models", "meta", "rules",
                             "tree", "checkpoints"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    rocksdb::Status status = rocksdb::DB::Open(options, path, families, &handles_, &db_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    for (size_t i = 0; i < families.size(); ++i) names_.push_back(families[i].name);
  }
  ~RawStore() {
    if (db_ == nullptr) return;
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      EXPECT_TRUE(db_->DestroyColumnFamilyHandle(handle).ok());
    }
    EXPECT_TRUE(db_->Close().ok());
    delete db_;
  }
  RawStore(const RawStore&) = delete;
  RawStore& operator=(const RawStore&) = delete;

  void Put(const std::string& family, const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->Put(rocksdb::WriteOptions(), Family(family), key, value).ok());
  }
  void Delete(const std::string& family, const std::string& key) {
    EXPECT_TRUE(db_->Delete(rocksdb::WriteOptions(), Family(family), key).ok());
  }
  std::optional<std::string> Get(const std::string& family, const std::string& key) {
    std::string value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), Family(family), key, &value);
    if (status.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  }
  // Every key of the family, in order.
  std::vector<std::string> Keys(const std::string& family) {
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(family)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
    return keys;
  }

 private:
  rocksdb::ColumnFamilyHandle* Family(const std::string& name) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    ADD_FAILURE() << "no column family " << name;
    return handles_[0];
  }

  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> names_;
};

}  // namespace alliance::storage

#endif  // ALLIANCE_TESTS_STORAGE_RAW_STORE_H_
