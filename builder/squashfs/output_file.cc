#include "builder/squashfs/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

#include <sqfs/error.h>

#include "builder/verity/verity_format.h"

namespace kiln::squashfs {
namespace {

constexpr std::uint64_t kBlock = verity::kBlockSize;
constexpr std::size_t kZeroChunk = 64 * 1024;

}  // namespace

Result<std::unique_ptr<OutputFile>> OutputFile::Open(const std::filesystem::path& path,
                                                     std::uint64_t offset,
                                                     verity::VerityHasher* verity) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::fchmod(fd, 0644);  // the umask must not leak into outputs
  } else if (errno == EEXIST) {
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  }
  if (fd < 0)
    return MakeError(ErrorCode::kIo,
                     "cannot open " + path.string() + " for writing: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return MakeError(ErrorCode::kIo, "cannot stat " + path.string() + ": " + std::strerror(err));
  }
  // Never shrink anything but a regular file (a block device has no size to restore).
  std::uint64_t original = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size)
                                               : std::numeric_limits<std::uint64_t>::max();
  return std::unique_ptr<OutputFile>(new OutputFile(fd, offset, original, path, verity));
}

OutputFile::OutputFile(int fd, std::uint64_t offset, std::uint64_t original_size,
                       const std::filesystem::path& path, verity::VerityHasher* verity)
    : fd_(fd), offset_(offset), original_size_(original_size), path_(path), verity_(verity) {
  shim_.owner = this;
  std::memset(&shim_.iface, 0, sizeof(shim_.iface));
  // libsquashfs never owns this file: destroy is a no-op and writable files are not copyable.
  shim_.iface.base.destroy = [](sqfs_object_t*) {};
  shim_.iface.base.copy = nullptr;
  shim_.iface.read_at = [](sqfs_file_t* f, sqfs_u64 off, void* buf, size_t n) {
    return Self(f)->ReadAt(off, buf, n);
  };
  shim_.iface.write_at = [](sqfs_file_t* f, sqfs_u64 off, const void* buf, size_t n) {
    return Self(f)->WriteAt(off, buf, n);
  };
  shim_.iface.get_size = [](const sqfs_file_t* f) -> sqfs_u64 { return Self(f)->size(); };
  shim_.iface.truncate = [](sqfs_file_t* f, sqfs_u64 n) { return Self(f)->Truncate(n); };
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
}

OutputFile* OutputFile::Self(const sqfs_file_t* f) {
  return reinterpret_cast<const Shim*>(f)->owner;
}

std::uint64_t OutputFile::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}

std::string OutputFile::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

void OutputFile::Fail(const std::string& what) {
  last_error_ = what + " " + path_.string() + ": " + std::strerror(errno);
}

int OutputFile::ReadAt(std::uint64_t off, void* buf, std::size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (off + n > size_) return SQFS_ERROR_OUT_OF_BOUNDS;
  Status s = verity::ReadFullAt(fd_, buf, n, offset_ + off, path_.string());
  if (!s.ok()) {
    last_error_ = s.error().message;
    return SQFS_ERROR_IO;
  }
  return 0;
}

bool OutputFile::PwriteAll(std::uint64_t abs, const void* buf, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(buf);
  while (n > 0) {
    ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(abs));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      Fail("cannot write at byte " + std::to_string(abs) + " of");
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
    abs += static_cast<std::uint64_t>(w);
  }
  return true;
}

int OutputFile::WriteAt(std::uint64_t off, const void* buf, std::size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  // Keep the image free of holes: whatever the host file held there must not leak in.
  if (off > size_ && !WriteZeros(size_, off - size_)) return SQFS_ERROR_IO;
  return WriteLocked(off, buf, n) ? 0 : SQFS_ERROR_IO;
}

bool OutputFile::WriteLocked(std::uint64_t off, const void* buf, std::size_t n) {
  if (n == 0) return true;
  if (!PwriteAll(offset_ + off, buf, n)) return false;
  std::uint64_t end = off + n;
  high_water_ = std::max(high_water_, end);
  size_ = std::max(size_, end);
  if (!verity_) return true;
  // Leaves hashed before and now overwritten (the final superblock) are hashed again later.
  for (std::uint64_t i = off / kBlock; i < hashed_ && i * kBlock < end; ++i) {
    verity_->Invalidate(i);
    dirty_.insert(i);
  }
  for (; (hashed_ + 1) * kBlock <= size_; ++hashed_)
    if (!HashLeaf(hashed_, off, buf, n)) return false;
  return true;
}

bool OutputFile::WriteZeros(std::uint64_t off, std::uint64_t n) {
  static const std::vector<std::uint8_t> zeros(kZeroChunk, 0);
  while (n > 0) {
    std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, kZeroChunk));
    if (!WriteLocked(off, zeros.data(), chunk)) return false;
    off += chunk;
    n -= chunk;
  }
  return true;
}

bool OutputFile::HashLeaf(std::uint64_t index, std::uint64_t buf_off, const void* buf,
                          std::size_t n) {
  std::uint64_t start = index * kBlock;
  if (buf && start >= buf_off && start + kBlock <= buf_off + n) {
    verity_->HashBlock(index, static_cast<const std::uint8_t*>(buf) + (start - buf_off));
    return true;
  }
  // The block straddles earlier writes: read it back (it is in the page cache).
  std::uint8_t block[kBlock];
  Status s = verity::ReadFullAt(fd_, block, kBlock, offset_ + start, path_.string());
  if (!s.ok()) {
    last_error_ = s.error().message;
    return false;
  }
  verity_->HashBlock(index, block);
  return true;
}

int OutputFile::Truncate(std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n > size_) return WriteZeros(size_, n - size_) ? 0 : SQFS_ERROR_IO;
  size_ = n;
  if (verity_) {
    std::uint64_t keep = n / kBlock;  // a partial last block is no longer complete
    verity_->InvalidateFrom(keep);
    hashed_ = std::min(hashed_, keep);
    dirty_.erase(dirty_.lower_bound(keep), dirty_.end());
  }
  return 0;
}

Result<std::uint64_t> OutputFile::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (size_ % kBlock != 0 && !WriteZeros(size_, kBlock - size_ % kBlock))
    return MakeError(ErrorCode::kIo, last_error_);
  if (verity_) {
    for (std::uint64_t i : dirty_)
      if (!HashLeaf(i, 0, nullptr, 0)) return MakeError(ErrorCode::kIo, last_error_);
    dirty_.clear();
  }
  // Bytes past the end from before a dedup truncation: cut them if the file did not reach
  // that far before, zero them otherwise, so the host file's content is deterministic.
  std::uint64_t end = offset_ + size_;
  std::uint64_t high = offset_ + high_water_;
  if (high > end) {
    std::uint64_t keep = std::max(original_size_, end);
    if (keep < high && ::ftruncate(fd_, static_cast<off_t>(keep)) != 0) {
      Fail("cannot truncate");
      return MakeError(ErrorCode::kIo, last_error_);
    }
    static const std::vector<std::uint8_t> zeros(kZeroChunk, 0);
    for (std::uint64_t at = end; at < std::min(high, keep);) {
      std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(std::min(high, keep) - at, kZeroChunk));
      if (!PwriteAll(at, zeros.data(), chunk)) return MakeError(ErrorCode::kIo, last_error_);
      at += chunk;
    }
    high_water_ = size_;
  }
  return size_;
}

}  // namespace kiln::squashfs
