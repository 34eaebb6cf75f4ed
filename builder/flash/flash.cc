#include "builder/flash/flash.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "builder/artifacts/artifacts.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/size.h"
#include "builder/common/unique_fd.h"
#include "builder/disk/gpt.h"
#include "builder/flash/target_check.h"
#include "builder/vmformats/bmap.h"
#include "builder/vmformats/file_io.h"

namespace kiln::flash {

namespace fs = std::filesystem;
using vmformats::BlockMap;

namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr std::size_t kAlign = 4096;  // O_DIRECT buffers, offsets and lengths

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

Result<std::unique_ptr<char, FreeDeleter>> AlignedBuffer(std::size_t size) {
  void* p = nullptr;
  if (::posix_memalign(&p, kAlign, size) != 0) return MakeError(ErrorCode::kIo, "out of memory");
  return std::unique_ptr<char, FreeDeleter>(static_cast<char*>(p));
}

Result<BlockMap> LoadMap(const FlashRequest& req, std::string* source) {
  fs::path bmap = req.bmap;
  std::error_code ec;
  if (bmap.empty()) {
    fs::path sibling = req.image;
    sibling.replace_extension(artifacts::KindOf(artifacts::Role::kBlockMap).suffix);
    if (fs::is_regular_file(sibling, ec)) bmap = sibling;
  }
  if (bmap.empty()) {
    *source = "computed";
    return vmformats::ComputeBlockMap(req.image);
  }
  *source = bmap.string();
  if (fs::file_size(bmap, ec) > (64 << 20)) return MakeError(ErrorCode::kInput, bmap.string() + ": too large for a block map");
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(bmap));
  auto map = vmformats::ParseBmap(text);
  if (!map.ok()) return MakeError(map.error().code, bmap.string() + ": " + map.error().message);
  return map;
}

std::string RangeText(const vmformats::BmapRange& r, std::uint64_t offset, std::uint64_t length) {
  return "blocks " + std::to_string(r.first) + "-" + std::to_string(r.last) + " (bytes " + std::to_string(offset) +
         ".." + std::to_string(offset + length - 1) + ")";
}

// Bytes of range r inside the image (its last block may be short).
std::uint64_t RangeLength(const BlockMap& m, const vmformats::BmapRange& r) {
  return std::min<std::uint64_t>((r.last + 1) * m.block_size, m.image_size) - r.first * m.block_size;
}

Status WriteRanges(int image_fd, int target_fd, const BlockMap& map, const FlashRequest& req, std::uint64_t total,
                   const std::function<void(const Event&)>& report) {
  std::uint64_t done = 0;
  for (const auto& r : map.ranges) {
    const std::uint64_t offset = r.first * map.block_size, length = RangeLength(map, r);
    std::uint64_t at = offset;
    KILN_TRY(vmformats::StreamRange(image_fd, offset, length, req.image.string(), [&](std::string_view d) -> Status {
      Status s = vmformats::WriteAt(target_fd, d, at, req.target.string());
      if (!s.ok())
        return MakeError(ErrorCode::kIo, "write error on " + req.target.string() + " at offset " + std::to_string(at) +
                                             " (" + RangeText(r, offset, length) + "): " + s.error().message);
      at += d.size();
      done += d.size();
      if (report) report(Event{"flash", "writing " + req.target.string(), done, total});
      return OkStatus();
    }));
  }
  if (::fdatasync(target_fd) != 0)
    return MakeError(ErrorCode::kIo, "cannot flush " + req.target.string() + ": " + std::strerror(errno));
  return OkStatus();
}

// Reads every mapped range back and checks its SHA-256 against the map.
Status VerifyRanges(int fd, const BlockMap& map, const FlashRequest& req, std::uint64_t target_size, std::uint64_t total,
                    const std::function<void(const Event&)>& report) {
  KILN_ASSIGN_OR_RETURN(auto buf, AlignedBuffer(kChunk));
  std::uint64_t done = 0;
  for (const auto& r : map.ranges) {
    const std::uint64_t offset = r.first * map.block_size, length = RangeLength(map, r);
    Sha256 sha;
    for (std::uint64_t at = offset; at < offset + length;) {
      const std::uint64_t want = std::min<std::uint64_t>(kChunk, offset + length - at);
      // O_DIRECT needs whole aligned blocks: read up to the next 4 KiB boundary (or the end).
      const std::uint64_t read = std::min<std::uint64_t>((want + kAlign - 1) / kAlign * kAlign, target_size - at);
      Status s = vmformats::ReadAt(fd, buf.get(), static_cast<std::size_t>(read), at, req.target.string());
      if (!s.ok())
        return MakeError(ErrorCode::kIo, "read-back error on " + req.target.string() + " at offset " + std::to_string(at) +
                                             ": " + s.error().message);
      sha.Update(buf.get(), static_cast<std::size_t>(want));
      at += want;
      done += want;
      if (report) report(Event{"verify", "reading back " + req.target.string(), done, total});
    }
    if (ToHex(sha.Finish()) != r.sha256)
      return MakeError(ErrorCode::kIntegrity, "read-back of " + req.target.string() + " differs from the block map in " +
                                                  RangeText(r, offset, length) + " at offset " + std::to_string(offset) +
                                                  ": a write error or a corrupt image");
  }
  return OkStatus();
}

}  // namespace

Result<std::uint64_t> TargetSize(const fs::path& target) {
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0) return std::uint64_t{0};
  if (!S_ISBLK(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
  UniqueFd fd(::open(target.c_str(), O_RDONLY | O_CLOEXEC));
  std::uint64_t size = 0;
  if (!fd.valid() || ::ioctl(fd.get(), BLKGETSIZE64, &size) != 0)
    return MakeError(ErrorCode::kIo, "cannot get the size of " + target.string() + ": " + std::strerror(errno));
  return size;
}

Result<FlashResult> Flash(const FlashRequest& req, const std::function<void(const Event&)>& report) {
  KILN_TRY(CheckTargetFree(req.target));
  FlashResult res;
  KILN_ASSIGN_OR_RETURN(BlockMap map, LoadMap(req, &res.bmap_source));
  KILN_ASSIGN_OR_RETURN(UniqueFd image, vmformats::OpenForReading(req.image));
  struct stat ist {};
  if (::fstat(image.get(), &ist) != 0) return MakeError(ErrorCode::kIo, "cannot stat " + req.image.string());
  res.image_size = static_cast<std::uint64_t>(ist.st_size);
  if (res.image_size != map.image_size)
    return MakeError(ErrorCode::kInput, req.image.string() + " has " + std::to_string(res.image_size) +
                                            " bytes, its block map says " + std::to_string(map.image_size));
  struct stat tst {};
  res.block_device = ::stat(req.target.c_str(), &tst) == 0 && S_ISBLK(tst.st_mode);
  // O_EXCL on a block device fails with EBUSY while anything mounts or holds it.
  UniqueFd target(::open(req.target.c_str(), res.block_device ? O_RDWR | O_EXCL | O_CLOEXEC : O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!target.valid())
    return MakeError(errno == EBUSY ? ErrorCode::kUsage : ErrorCode::kIo,
                     "cannot open " + req.target.string() + (errno == EBUSY ? ": it is in use" : std::string(": ") + std::strerror(errno)));
  KILN_ASSIGN_OR_RETURN(res.target_size, TargetSize(req.target));
  if (res.block_device && res.target_size < res.image_size)
    return MakeError(ErrorCode::kUsage, req.target.string() + " (" + FormatSize(res.target_size) + ") is smaller than " +
                                            req.image.string() + " (" + FormatSize(res.image_size) + ")");
  if (!res.block_device && res.target_size < res.image_size) {
    if (::ftruncate(target.get(), static_cast<off_t>(res.image_size)) != 0)
      return MakeError(ErrorCode::kIo, "cannot size " + req.target.string() + ": " + std::strerror(errno));
    res.target_size = res.image_size;
  }
  res.ranges = map.ranges.size();
  for (auto& r : map.ranges) res.mapped_bytes += RangeLength(map, r);

  KILN_TRY(WriteRanges(image.get(), target.get(), map, req, res.mapped_bytes, report));

  // Read back past the page cache: O_DIRECT on a device; a regular file's cached pages are
  // dropped (after the flush) so the reads come from the disk where the file system allows.
  UniqueFd check;
  if (res.block_device) {
    check = UniqueFd(::open(req.target.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC));
  } else {
    ::posix_fadvise(target.get(), 0, 0, POSIX_FADV_DONTNEED);
    check = UniqueFd(::open(req.target.c_str(), O_RDONLY | O_CLOEXEC));
  }
  if (!check.valid()) return MakeError(ErrorCode::kIo, "cannot reopen " + req.target.string() + ": " + std::strerror(errno));
  KILN_TRY(VerifyRanges(check.get(), map, req, res.target_size, res.mapped_bytes, report));

  // The GPT is rewritten from the image's: its entry arrays are mostly zeros, which the block
  // map leaves unmapped, so a used device would keep stale bytes there (a bad entries CRC); and
  // on a larger target the backup goes to its end (the partitions are untouched).
  std::string note;
  auto layout = disk::ReadGpt(image.get(), &note);
  if (layout.ok() && note.empty()) {
    layout->size_bytes = res.target_size / disk::kSectorSize * disk::kSectorSize;
    KILN_TRY(disk::WriteGpt(target.get(), *layout));
    if (::fdatasync(target.get()) != 0)
      return MakeError(ErrorCode::kIo, "cannot flush " + req.target.string() + ": " + std::strerror(errno));
    res.gpt_moved = res.target_size / disk::kSectorSize > res.image_size / disk::kSectorSize;
  } else if (report) {
    report(Event{"flash", "no valid GPT in " + req.image.string() + ": the partition table is left as written", 0, 0});
  }
  return res;
}

}  // namespace kiln::flash
