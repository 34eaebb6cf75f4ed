// Where a downloaded payload goes: a byte range of the disk (one partition of the inactive
// slot), written in order while both the served bytes and the written bytes are hashed. A
// zstd-compressed root is decompressed on the way (streaming, with a bounded window), so the
// agent's memory does not grow with the root's size. The range is a hard limit: a payload
// that would write past its partition fails before the write.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/transfer/download.h"
#include "builder/verity/verity_check.h"

namespace kiln::update_agent {

// zstd frames asking for a larger window than 2^27 bytes (128 MiB) are refused.
inline constexpr int kMaxZstdWindowLog = 27;

struct ZstdDStreamDeleter {
  void operator()(ZSTD_DStream* s) const { ZSTD_freeDStream(s); }
};

class PartitionSink : public transfer::DownloadSink {
 public:
  // fd: the disk, open for writing; [offset, offset + capacity): the partition.
  static Result<PartitionSink> Create(int fd, std::uint64_t offset, std::uint64_t capacity, bool zstd,
                                      std::string what);

  // From now on every whole 4 KiB block of the content is checked against `tree` (already
  // checked against the signed root hash) before it is written: a bad byte stops the download at
  // its block, not after the whole payload. Blocks past the tree's data are not checked here.
  void CheckBlocksAgainst(const verity::CheckedTree* tree) { tree_ = tree; }

  Status Restart() override;
  Status Write(std::string_view bytes) override;
  // Ends the payload: a zstd stream must end at the end of a frame.
  Status Finish();

  std::uint64_t served_size() const { return served_size_; }
  std::uint64_t content_size() const { return content_size_; }
  Digest ServedDigest() { return served_.Finish(); }
  Digest ContentDigest() { return content_.Finish(); }

 private:
  PartitionSink() = default;
  Status WriteContent(const void* data, std::size_t size);
  Status CheckBlocks(const char* data, std::size_t size);
  Status CheckBlock(const char* block);

  int fd_ = -1;
  std::uint64_t offset_ = 0;
  std::uint64_t capacity_ = 0;
  std::string what_;
  std::unique_ptr<ZSTD_DStream, ZstdDStreamDeleter> zstd_;
  std::vector<char> out_;
  bool frame_open_ = false;
  std::uint64_t served_size_ = 0;
  std::uint64_t content_size_ = 0;
  Sha256 served_;
  Sha256 content_;
  const verity::CheckedTree* tree_ = nullptr;
  std::string partial_block_;  // the start of a block not yet complete
  std::uint64_t next_block_ = 0;
};

// sha256 of [offset, offset + size) of fd, read back after the writes were synced.
Result<Digest> HashRange(int fd, std::uint64_t offset, std::uint64_t size);
// Drops the cached pages of a range, so that the next read comes from the medium where possible.
void DropCachedPages(int fd, std::uint64_t offset, std::uint64_t size);
// Writes zeros over [offset, offset + size).
Status ZeroRange(int fd, std::uint64_t offset, std::uint64_t size);
// pwrite of all of data at offset.
Status WriteAt(int fd, std::uint64_t offset, std::string_view data);

}  // namespace kiln::update_agent
