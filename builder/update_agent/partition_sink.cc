#include "builder/update_agent/partition_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kiln::update_agent {

Result<PartitionSink> PartitionSink::Create(int fd, std::uint64_t offset, std::uint64_t capacity, bool zstd,
                                            std::string what) {
  PartitionSink s;
  s.fd_ = fd;
  s.offset_ = offset;
  s.capacity_ = capacity;
  s.what_ = std::move(what);
  if (zstd) {
    s.zstd_.reset(ZSTD_createDStream());
    if (!s.zstd_) return MakeError(ErrorCode::kIo, "cannot create a zstd decompressor");
    ZSTD_DCtx_setParameter(s.zstd_.get(), ZSTD_d_windowLogMax, kMaxZstdWindowLog);
    s.out_.resize(ZSTD_DStreamOutSize());
  }
  return s;
}

Status PartitionSink::Restart() {
  served_size_ = content_size_ = 0;
  served_.Reset();
  content_.Reset();
  frame_open_ = false;
  partial_block_.clear();
  next_block_ = 0;
  if (zstd_) ZSTD_DCtx_reset(zstd_.get(), ZSTD_reset_session_only);
  return OkStatus();
}

Status PartitionSink::CheckBlock(const char* block) {
  const std::uint64_t index = next_block_++;
  if (index >= tree_->data_blocks() || tree_->BlockMatches(index, block)) return OkStatus();
  return MakeError(ErrorCode::kIntegrity, what_ + ": block " + std::to_string(index) + " (byte " +
                                              std::to_string(index * verity::kBlockSize) +
                                              ") does not match the signed verity tree; the download stops there");
}

Status PartitionSink::CheckBlocks(const char* data, std::size_t size) {
  if (!partial_block_.empty()) {
    const std::size_t take = std::min(size, verity::kBlockSize - partial_block_.size());
    partial_block_.append(data, take);
    data += take;
    size -= take;
    if (partial_block_.size() < verity::kBlockSize) return OkStatus();
    KILN_TRY(CheckBlock(partial_block_.data()));
    partial_block_.clear();
  }
  for (; size >= verity::kBlockSize; data += verity::kBlockSize, size -= verity::kBlockSize) KILN_TRY(CheckBlock(data));
  partial_block_.assign(data, size);
  return OkStatus();
}

Status PartitionSink::WriteContent(const void* data, std::size_t size) {
  if (size > capacity_ - content_size_)
    return MakeError(ErrorCode::kIntegrity, what_ + " does not fit its partition of " + std::to_string(capacity_) + " bytes");
  if (tree_) KILN_TRY(CheckBlocks(static_cast<const char*>(data), size));
  KILN_TRY(WriteAt(fd_, offset_ + content_size_, std::string_view(static_cast<const char*>(data), size)));
  content_.Update(data, size);
  content_size_ += size;
  return OkStatus();
}

Status PartitionSink::Write(std::string_view bytes) {
  served_.Update(bytes.data(), bytes.size());
  served_size_ += bytes.size();
  if (!zstd_) return WriteContent(bytes.data(), bytes.size());
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    std::size_t rc = ZSTD_decompressStream(zstd_.get(), &out, &in);
    if (ZSTD_isError(rc))
      return MakeError(ErrorCode::kIntegrity, what_ + " is not valid zstd: " + ZSTD_getErrorName(rc));
    frame_open_ = rc != 0;
    if (out.pos > 0) KILN_TRY(WriteContent(out_.data(), out.pos));
  }
  return OkStatus();
}

Status PartitionSink::Finish() {
  if (!zstd_) return OkStatus();
  // Flush what the decompressor still holds of an unfinished frame (its output buffer may have
  // been full when the input ran out). A finished frame must not be asked again: a fresh
  // stream answers "give me a header", which is not an unfinished frame.
  while (frame_open_) {
    ZSTD_inBuffer in{nullptr, 0, 0};
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    std::size_t rc = ZSTD_decompressStream(zstd_.get(), &out, &in);
    if (ZSTD_isError(rc))
      return MakeError(ErrorCode::kIntegrity, what_ + " is not valid zstd: " + ZSTD_getErrorName(rc));
    if (out.pos > 0) KILN_TRY(WriteContent(out_.data(), out.pos));
    frame_open_ = rc != 0;
    if (out.pos == 0) break;
  }
  if (frame_open_) return MakeError(ErrorCode::kIntegrity, what_ + " ends inside a zstd frame");
  return OkStatus();
}

Status WriteAt(int fd, std::uint64_t offset, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, std::string("cannot write to the disk: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

Status ZeroRange(int fd, std::uint64_t offset, std::uint64_t size) {
  const std::string zeros(std::min<std::uint64_t>(size, 1 << 20), '\0');
  for (std::uint64_t done = 0; done < size;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - done));
    KILN_TRY(WriteAt(fd, offset + done, std::string_view(zeros.data(), n)));
    done += n;
  }
  return OkStatus();
}

void DropCachedPages(int fd, std::uint64_t offset, std::uint64_t size) {
  ::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(size), POSIX_FADV_DONTNEED);
}

Result<Digest> HashRange(int fd, std::uint64_t offset, std::uint64_t size) {
  DropCachedPages(fd, offset, size);
  std::vector<char> buf(1 << 20);
  Sha256 h;
  for (std::uint64_t done = 0; done < size;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return MakeError(ErrorCode::kIo, "cannot read back the disk at byte " + std::to_string(offset + done) + ": " +
                                           (n == 0 ? std::string("end of device") : std::string(std::strerror(errno))));
    h.Update(buf.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  return h.Finish();
}

}  // namespace kiln::update_agent
