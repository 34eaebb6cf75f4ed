#include "builder/vmformats/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kiln::vmformats {

namespace {
constexpr std::size_t kChunk = 1 << 20;
}

Status ReadAt(int fd, void* data, std::size_t size, std::uint64_t offset, const std::string& what) {
  auto* p = static_cast<char*>(data);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, "cannot read " + what + " at offset " + std::to_string(offset + done) + ": " + std::strerror(errno));
    if (n == 0) return MakeError(ErrorCode::kInput, what + " ends at offset " + std::to_string(offset + done) + ", before " + std::to_string(offset + size));
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

Status WriteAt(int fd, std::string_view data, std::uint64_t offset, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, "cannot write " + what + " at offset " + std::to_string(offset + done) + ": " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

Result<UniqueFd> OpenForReading(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kInput, "cannot open " + path.string() + ": " + std::strerror(errno));
  return UniqueFd(fd);
}

Status StreamRange(int fd, std::uint64_t offset, std::uint64_t size, const std::string& what,
                   const std::function<Status(std::string_view)>& consume) {
  std::string buf(static_cast<std::size_t>(std::min<std::uint64_t>(size, kChunk)), '\0');
  while (size > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, buf.size()));
    KILN_TRY(ReadAt(fd, buf.data(), n, offset, what));
    KILN_TRY(consume(std::string_view(buf.data(), n)));
    offset += n;
    size -= n;
  }
  return OkStatus();
}

Status StreamZeros(std::uint64_t size, const std::function<Status(std::string_view)>& consume) {
  static const std::string zeros(kChunk, '\0');
  while (size > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, zeros.size()));
    KILN_TRY(consume(std::string_view(zeros.data(), n)));
    size -= n;
  }
  return OkStatus();
}

void PutBe(std::string& s, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) s[at + static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
}

void PutLe(std::string& s, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i, v >>= 8) s[at + static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
}

std::uint64_t GetBe(std::string_view s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

std::uint64_t GetLe(std::string_view s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

}  // namespace kiln::vmformats
