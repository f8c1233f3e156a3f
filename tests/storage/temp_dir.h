// A fresh folder under /tmp for one test's store, removed with everything in
// it when the test ends.
#ifndef ALLIANCE_TESTS_STORAGE_TEMP_DIR_H_
#define ALLIANCE_TESTS_STORAGE_TEMP_DIR_H_

#include <stdlib.h>

#include <cassert>
#include <filesystem>
#include <string>

namespace alliance::storage {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/alliance-storage-test-XXXXXX";
    char* made = mkdtemp(pattern.data());
    assert(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the folder.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace alliance::storage

#endif  // ALLIANCE_TESTS_STORAGE_TEMP_DIR_H_
