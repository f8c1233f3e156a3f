// Tmpfs: a small tmpfs mounted for a test's life, to fill a real file system
// and free it again. Mounting needs root (CI runs as root); Mount answers
// nullptr where it is not allowed, and the test skips with a message.
#ifndef ALLIANCE_TESTS_SUPPORT_TMPFS_H_
#define ALLIANCE_TESTS_SUPPORT_TMPFS_H_

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

namespace alliance::testing {

class Tmpfs {
 public:
  // A tmpfs of `size_mib` at `path` (created when missing); nullptr when
  // this process may not mount (not root, or a container that forbids it).
  static std::unique_ptr<Tmpfs> Mount(const std::string& path, int size_mib) {
    if (geteuid() != 0) return nullptr;
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (mount("tmpfs", path.c_str(), "tmpfs", 0, Options(size_mib).c_str()) != 0) return nullptr;
    return std::unique_ptr<Tmpfs>(new Tmpfs(path));
  }
  // Lazily, so that a process still holding files does not keep it.
  ~Tmpfs() { umount2(path_.c_str(), MNT_DETACH); }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  // Grows the file system in place (it cannot shrink below what it holds).
  bool Resize(int size_mib) {
    return mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, Options(size_mib).c_str()) == 0;
  }

 private:
  explicit Tmpfs(std::string path) : path_(std::move(path)) {}
  static std::string Options(int size_mib) { return "size=" + std::to_string(size_mib) + "m"; }
  const std::string path_;
};

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SUPPORT_TMPFS_H_
