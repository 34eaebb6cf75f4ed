#include "builder/input_archive/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "builder/common/confined_file.h"
#include "builder/common/sha256.h"

namespace kiln::input_archive {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 1 << 20;

Status WriteAll(int fd, const char* data, std::size_t size, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, "cannot write " + what + ": " + std::strerror(errno));
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return OkStatus();
}

// Copies in to out while hashing; returns digest and size.
Result<std::pair<Digest, std::uint64_t>> CopyHashing(int in, int out, const std::string& what) {
  Sha256 h;
  std::vector<char> buf(kChunk);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, "cannot read " + what + ": " + std::strerror(errno));
    if (n == 0) break;
    h.Update(buf.data(), static_cast<std::size_t>(n));
    KILN_TRY(WriteAll(out, buf.data(), static_cast<std::size_t>(n), what));
    total += static_cast<std::uint64_t>(n);
  }
  return std::make_pair(h.Finish(), total);
}

}  // namespace

Result<StoredBlob> StoreBlob(const fs::path& dir, const fs::path& file, std::string_view expected_hex,
                             const std::string& what) {
  const fs::path blobs = dir / "blobs" / "sha256";
  std::error_code ec;
  fs::create_directories(blobs, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + blobs.string() + ": " + ec.message());
  UniqueFd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return MakeError(ErrorCode::kIo, "cannot open " + what + " (" + file.string() + "): " + std::strerror(errno));
  const fs::path part = blobs / ".part";
  UniqueFd out(::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out.valid()) return MakeError(ErrorCode::kIo, "cannot create " + part.string() + ": " + std::strerror(errno));
  ::fchmod(out.get(), 0644);
  KILN_ASSIGN_OR_RETURN(auto copied, CopyHashing(in.get(), out.get(), what));
  const std::string hex = ToHex(copied.first);
  if (!expected_hex.empty() && hex != expected_hex) {
    fs::remove(part, ec);
    return MakeError(ErrorCode::kIntegrity, what + " changed while the build read it: sha256 " + hex +
                                                ", the build recorded " + std::string(expected_hex));
  }
  const fs::path blob = blobs / hex;
  if (fs::exists(blob, ec)) {
    fs::remove(part, ec);
  } else {
    fs::rename(part, blob, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot store " + blob.string() + ": " + ec.message());
  }
  return StoredBlob{hex, copied.second};
}

Status CopyBlobOut(int blobs_fd, std::string_view hex, std::uint64_t size, int out_fd, const std::string& what) {
  if (!IsSha256Hex(hex)) return MakeError(ErrorCode::kInput, what + ": bad blob digest");
  auto in = OpenConfined(blobs_fd, hex);
  if (!in.ok())
    return MakeError(ErrorCode::kInput, what + ": blob sha256:" + std::string(hex) + " is missing from the input archive");
  struct stat st {};
  if (::fstat(in->get(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != size)
    return MakeError(ErrorCode::kIntegrity, what + ": blob sha256:" + std::string(hex) + " has " +
                                                std::to_string(st.st_size) + " bytes, the index says " + std::to_string(size));
  KILN_ASSIGN_OR_RETURN(auto copied, CopyHashing(in->get(), out_fd, what));
  if (ToHex(copied.first) != hex || copied.second != size)
    return MakeError(ErrorCode::kIntegrity, what + ": blob sha256:" + std::string(hex) + " does not match its digest (sha256 " +
                                                ToHex(copied.first) + ")");
  return OkStatus();
}

Status CopyBlobToFile(int blobs_fd, std::string_view hex, std::uint64_t size, const fs::path& dest,
                      const std::string& what) {
  UniqueFd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!out.valid()) return MakeError(ErrorCode::kIo, "cannot create " + dest.string() + ": " + std::strerror(errno));
  ::fchmod(out.get(), 0644);
  Status s = CopyBlobOut(blobs_fd, hex, size, out.get(), what);
  if (!s.ok()) {
    std::error_code ec;
    fs::remove(dest, ec);
  }
  return s;
}

}  // namespace kiln::input_archive
