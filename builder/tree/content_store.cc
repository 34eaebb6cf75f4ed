#include "builder/tree/content_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "builder/common/sha256.h"

namespace kiln::tree {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunkSize = 1 << 20;

// Owns a temporary file: closes the descriptor and unlinks the name unless Keep()-ed.
class TempFile {
 public:
  TempFile(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
  ~TempFile() {
    Close();
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  const fs::path& path() const { return path_; }
  int Close() {
    int rc = 0;
    if (fd_ >= 0) rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void Keep() { path_.clear(); }

 private:
  int fd_;
  fs::path path_;
};

Status WriteAll(int fd, const char* data, std::size_t size, const fs::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return OkStatus();
}

}  // namespace

Result<ContentStore> ContentStore::Create(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return MakeError(ErrorCode::kIo, "cannot create the content store " + dir.string() + ": " +
                                         ec.message());
  fs::path abs = fs::absolute(dir, ec);
  return ContentStore(ec ? dir : abs);
}

Result<FileContent> ContentStore::Put(const ChunkReader& read) {
  std::string tmpl = (dir_ / "tmp-XXXXXX").string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0)
    return MakeError(ErrorCode::kIo, "cannot create a temporary file in " + dir_.string() + ": " +
                                         std::strerror(errno));
  TempFile tmp(fd, fs::path(name.data()));
  // Explicit mode: the umask must not decide who can read staged contents.
  if (::fchmod(tmp.fd(), 0600) != 0)
    return MakeError(ErrorCode::kIo, "cannot chmod " + tmp.path().string() + ": " +
                                         std::strerror(errno));

  Sha256 hash;
  std::vector<char> buf(kChunkSize);
  std::uint64_t size = 0;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(std::size_t n, read(buf.data(), buf.size()));
    if (n == 0) break;
    hash.Update(buf.data(), n);
    KILN_TRY(WriteAll(tmp.fd(), buf.data(), n, tmp.path()));
    size += n;
  }
  if (tmp.Close() != 0)
    return MakeError(ErrorCode::kIo, "cannot close " + tmp.path().string() + ": " +
                                         std::strerror(errno));

  fs::path blob = dir_ / ToHex(hash.Finish());
  struct stat st {};
  if (::lstat(blob.c_str(), &st) != 0) {
    if (::rename(tmp.path().c_str(), blob.c_str()) != 0)
      return MakeError(ErrorCode::kIo, "cannot rename " + tmp.path().string() + " to " +
                                           blob.string() + ": " + std::strerror(errno));
    tmp.Keep();
  }  // else: the same bytes are already staged; the destructor drops the temporary

  FileContent content;
  content.host_path = blob;
  content.size = size;
  return content;
}

Result<FileContent> ContentStore::Put(std::istream& in) {
  return Put([&in](char* buf, std::size_t capacity) -> Result<std::size_t> {
    in.read(buf, static_cast<std::streamsize>(capacity));
    if (in.bad()) return MakeError(ErrorCode::kIo, "read error while staging a file");
    return static_cast<std::size_t>(in.gcount());
  });
}

Result<FileContent> ContentStore::Put(std::string_view data) {
  std::size_t offset = 0;
  return Put([&data, &offset](char* buf, std::size_t capacity) -> Result<std::size_t> {
    std::size_t n = std::min(capacity, data.size() - offset);
    if (n > 0) std::memcpy(buf, data.data() + offset, n);
    offset += n;
    return n;
  });
}

}  // namespace kiln::tree
