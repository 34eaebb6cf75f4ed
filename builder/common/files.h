// Small host file-system helpers with Result errors, and a temporary directory owner.
// Outputs are always written to a temporary name and renamed into place when complete.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln {

Result<std::string> ReadFile(const std::filesystem::path& path);
// Writes to "path.tmp-<pid>" then renames over path: readers never see half a file.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data,
                       unsigned mode = 0644);
// Writes data exactly (no temp name); for files inside a staging directory.
Status WriteFile(const std::filesystem::path& path, std::string_view data, unsigned mode = 0644);

// A directory removed with its contents when the owner goes out of scope (unless Release()d).
// While it lives, the owner holds an exclusive flock on it and it is registered as live, so a
// signal removes it and a later run sweeps it when this process was killed (leftovers.h).
class TempDir {
 public:
  // Creates a fresh directory under parent (default: $TMPDIR or /tmp) named prefix-XXXXXX.
  static Result<TempDir> Create(const std::filesystem::path& parent = {},
                                std::string_view prefix = "kiln");
  TempDir() = default;
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Hands the directory to the caller: no longer removed, locked or registered.
  std::filesystem::path Release();

 private:
  TempDir(std::filesystem::path p, int lock_fd) : path_(std::move(p)), lock_fd_(lock_fd) {}
  void Drop();
  std::filesystem::path path_;
  int lock_fd_ = -1;
};

}  // namespace kiln
