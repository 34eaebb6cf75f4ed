#include "builder/common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

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
  fs::path base = parent;
  if (base.empty()) {
    const char* t = std::getenv("TMPDIR");
    base = (t && *t) ? fs::path(t) : fs::path("/tmp");
  }
  std::string tmpl = (base / (std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    return MakeError(ErrorCode::kIo, "cannot create a temporary directory in " + base.string() +
                                         ": " + std::strerror(errno));
  return TempDir(fs::path(buf.data()));
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    // Make everything writable first: trees we stage may hold read-only directories.
    for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec))
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path_, ec);
  }
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir old(std::move(*this));
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

fs::path TempDir::Release() { return std::exchange(path_, {}); }

}  // namespace kiln
