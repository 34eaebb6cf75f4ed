#include "builder/common/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "builder/common/leftovers.h"

namespace kiln {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kInput, "cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFile(const fs::path& path, std::string_view data, unsigned mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot create " + path.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return MakeError(ErrorCode::kIo, "cannot write " + path.string() + ": " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  // The umask must not leak into outputs: set the mode explicitly.
  ::fchmod(fd, mode);
  if (::close(fd) != 0) return MakeError(ErrorCode::kIo, "cannot close " + path.string());
  return OkStatus();
}

Status WriteFileAtomic(const fs::path& path, std::string_view data, unsigned mode) {
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  KILN_TRY(WriteFile(tmp, data, mode));
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return MakeError(ErrorCode::kIo, "cannot rename into " + path.string());
  }
  return OkStatus();
}

Result<TempDir> TempDir::Create(const fs::path& parent, std::string_view prefix) {
  fs::path base = parent.empty() ? DefaultTempParent() : parent;
  std::string tmpl = (base / (std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    return MakeError(ErrorCode::kIo, "cannot create a temporary directory in " + base.string() +
                                         ": " + std::strerror(errno));
  fs::path path(buf.data());
  // Held until the directory is removed or released; the kernel drops it if kiln is killed,
  // which is how SweepAbandonedDirs tells a dead run's directory from a live one.
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    if (fd >= 0) ::close(fd);
    ::rmdir(path.c_str());
    return MakeError(ErrorCode::kIo, "cannot lock the temporary directory " + path.string() + ": " + std::strerror(e));
  }
  RegisterLiveDir(path);
  return TempDir(std::move(path), fd);
}

void TempDir::Drop() {
  if (path_.empty()) return;
  RemoveTree(path_);
  UnregisterLiveDir(path_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
  path_.clear();
}

TempDir::~TempDir() { Drop(); }

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, {})), lock_fd_(std::exchange(other.lock_fd_, -1)) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Drop();
    path_ = std::exchange(other.path_, {});
    lock_fd_ = std::exchange(other.lock_fd_, -1);
  }
  return *this;
}

fs::path TempDir::Release() {
  if (!path_.empty()) UnregisterLiveDir(path_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
  return std::exchange(path_, {});
}

}  // namespace kiln
