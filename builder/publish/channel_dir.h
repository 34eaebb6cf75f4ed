// The channel directory as `kiln publish` changes it: one publisher at a time (an flock on
// the directory), payload and index files written under hidden temporary names, fsynced and
// renamed into place, the directory fsynced after each rename, and files removed only after
// the index that stops naming them is live.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/common/unique_fd.h"

namespace kiln::publish {

class ChannelDir {
 public:
  // Creates the directory when missing (mode 0755) and waits for its lock, calling
  // on_wait (when set) first if another publish holds it.
  static Result<ChannelDir> OpenLocked(const std::filesystem::path& dir, const std::function<void()>& on_wait = {});

  int fd() const { return fd_.get(); }
  const std::filesystem::path& path() const { return path_; }

  // The current index.p7s (at most max_size bytes), nullopt when the channel has none.
  Result<std::optional<std::string>> ReadIndex(std::size_t max_size) const;

  // A hidden temporary name for final_name in the directory (never a valid channel file name).
  std::string TempName(std::string_view final_name) const;
  // Renames temp_name to final_name and fsyncs the directory.
  Status Commit(const std::string& temp_name, const std::string& final_name) const;
  // Writes data to final_name through a temporary file (fsynced) and Commit.
  Status WriteAtomically(const std::string& final_name, std::string_view data) const;
  // Removes the temporary files an interrupted publish left (only ours: we hold the lock).
  Status RemoveStaleTemporaries() const;
  // Removes a file (absent is fine) and fsyncs the directory.
  Status Remove(const std::string& name) const;

 private:
  ChannelDir(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::filesystem::path path_;
  UniqueFd fd_;  // the directory itself, flock'ed for our lifetime
};

}  // namespace kiln::publish
