#include "builder/squashfs/file_data.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "builder/squashfs/sqfs_handles.h"

namespace kiln::squashfs {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Error AppendError(int rc, const std::string& path) {
  return MakeError(rc == SQFS_ERROR_IO ? ErrorCode::kIo : ErrorCode::kBuild,
                   "squashfs: cannot add the data of '/" + path + "': " + SqfsErrorText(rc));
}

}  // namespace

Result<std::uint64_t> AppendFileData(sqfs_block_processor_t* proc, const std::string& path,
                                     const tree::FileContent& content,
                                     std::vector<std::uint8_t>& buffer) {
  if (content.is_inline) {
    const std::string& data = content.inline_data;
    for (std::size_t at = 0; at < data.size(); at += buffer.size()) {
      std::size_t n = std::min(buffer.size(), data.size() - at);
      if (int rc = sqfs_block_processor_append(proc, data.data() + at, n); rc != 0)
        return AppendError(rc, path);
    }
    return static_cast<std::uint64_t>(data.size());
  }

  Fd fd(::open(content.host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return MakeError(ErrorCode::kInput, "cannot open " + content.host_path.string() +
                                            " (for '/" + path + "'): " + std::strerror(errno));
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return MakeError(ErrorCode::kIo, "cannot read " + content.host_path.string() +
                                           " (for '/" + path + "'): " + std::strerror(errno));
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
    if (total > content.size) break;
    if (int rc = sqfs_block_processor_append(proc, buffer.data(), static_cast<std::size_t>(n));
        rc != 0)
      return AppendError(rc, path);
  }
  if (total != content.size)
    return MakeError(ErrorCode::kInput, content.host_path.string() + " (for '/" + path +
                                            "') changed while the image was built: expected " +
                                            std::to_string(content.size) + " bytes");
  return total;
}

}  // namespace kiln::squashfs
