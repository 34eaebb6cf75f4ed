#include "builder/oci/byte_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace kiln::oci {

Status DigestSink::Write(std::string_view data) {
  sha_.Update(data);
  size_ += data.size();
  if (next_) return next_->Write(data);
  return OkStatus();
}

Result<FileSink> FileSink::Create(const std::filesystem::path& path, unsigned mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return MakeError(ErrorCode::kIo, "cannot create " + path.string() + ": " + std::strerror(errno));
  if (::fchmod(fd, mode) != 0) {
    int e = errno;
    ::close(fd);
    return MakeError(ErrorCode::kIo, "cannot set the mode of " + path.string() + ": " + std::strerror(e));
  }
  return FileSink(fd, path);
}

FileSink::FileSink(FileSink&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

FileSink& FileSink::operator=(FileSink&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileSink::Write(std::string_view data) {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "write to closed file " + path_.string());
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, "cannot write " + path_.string() + ": " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return OkStatus();
}

Status FileSink::Close() {
  if (fd_ < 0) return OkStatus();
  int fd = std::exchange(fd_, -1);
  bool synced = ::fdatasync(fd) == 0 || errno == EINVAL;
  int sync_errno = errno;
  if (::close(fd) != 0 || !synced)
    return MakeError(ErrorCode::kIo, "cannot write " + path_.string() + ": " +
                                         std::strerror(synced ? errno : sync_errno));
  return OkStatus();
}

}  // namespace kiln::oci
