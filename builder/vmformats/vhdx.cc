#include "builder/vmformats/vhdx.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/falloc.h>

#include <cerrno>
#include <cstring>

#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/common/uuid.h"
#include "builder/disk/image_file.h"
#include "builder/vmformats/crc32c.h"
#include "builder/vmformats/file_io.h"

namespace kiln::vmformats {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kHeaderOffsets[2] = {64 * kKiB, 128 * kKiB};
constexpr std::uint64_t kRegionTableOffset = 192 * kKiB;
constexpr std::size_t kHeaderSize = 4 * kKiB;
constexpr std::size_t kRegionTableSize = 64 * kKiB;
constexpr const char* kMetadataRegion = "8b7ca206-4790-4b9a-b8fe-575f050f886e";
constexpr const char* kPage83Item = "beca12ab-b2e6-4523-93ef-c309e000c746";

std::string GuidBytes(const Uuid& u) {
  auto b = u.ToGptBytes();  // the same mixed-endian layout as GPT
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string DerivedGuid(const std::array<std::uint8_t, 16>& seed, const char* what) {
  return GuidBytes(UuidV4From(HmacSha256(std::span<const std::uint8_t>(seed), what)));
}

Status CheckCrc(std::string block, const std::string& what) {
  std::uint32_t stored = static_cast<std::uint32_t>(GetLe(block, 4, 4));
  PutLe(block, 4, 0, 4);
  if (Crc32c(block) != stored) return MakeError(ErrorCode::kBuild, "vhdx " + what + " has a wrong CRC-32C");
  return OkStatus();
}

void SetCrc(std::string& block) {
  PutLe(block, 4, 0, 4);
  PutLe(block, 4, Crc32c(block), 4);
}

// Finds the Page83 item's file offset through the region table and the metadata table.
Result<std::uint64_t> Page83Offset(int fd, const std::string& name) {
  std::string table(kRegionTableSize, '\0');
  KILN_TRY(ReadAt(fd, table.data(), table.size(), kRegionTableOffset, name));
  if (table.compare(0, 4, "regi") != 0) return MakeError(ErrorCode::kBuild, name + ": no vhdx region table");
  KILN_TRY(CheckCrc(table, "region table"));
  const std::uint64_t count = GetLe(table, 8, 4);
  if (count > 2047) return MakeError(ErrorCode::kBuild, name + ": bad vhdx region count");
  const std::string metadata_guid = GuidBytes(*Uuid::Parse(kMetadataRegion));
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::size_t e = 16 + static_cast<std::size_t>(i) * 32;
    if (table.compare(e, 16, metadata_guid) != 0) continue;
    const std::uint64_t region = GetLe(table, e + 16, 8);
    std::string meta(64 * kKiB, '\0');
    KILN_TRY(ReadAt(fd, meta.data(), meta.size(), region, name + " metadata"));
    if (meta.compare(0, 8, "metadata") != 0) return MakeError(ErrorCode::kBuild, name + ": no vhdx metadata table");
    const std::uint64_t entries = GetLe(meta, 10, 2);
    const std::string page83 = GuidBytes(*Uuid::Parse(kPage83Item));
    for (std::uint64_t k = 0; k < entries && k < 2047; ++k) {
      const std::size_t m = 32 + static_cast<std::size_t>(k) * 32;
      if (meta.compare(m, 16, page83) == 0 && GetLe(meta, m + 20, 4) == 16) return region + GetLe(meta, m + 16, 4);
    }
    return MakeError(ErrorCode::kBuild, name + ": no Page83 item in the vhdx metadata");
  }
  return MakeError(ErrorCode::kBuild, name + ": no metadata region in the vhdx region table");
}

}  // namespace

Status MakeVhdxDeterministic(const fs::path& vhdx, const std::array<std::uint8_t, 16>& seed) {
  const std::string name = vhdx.string();
  UniqueFd fd(::open(vhdx.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return MakeError(ErrorCode::kIo, "cannot open " + name + ": " + std::strerror(errno));
  std::string headers[2];
  for (int i = 0; i < 2; ++i) {
    headers[i].assign(kHeaderSize, '\0');
    KILN_TRY(ReadAt(fd.get(), headers[i].data(), kHeaderSize, kHeaderOffsets[i], name));
    if (headers[i].compare(0, 4, "head") != 0) return MakeError(ErrorCode::kBuild, name + ": no vhdx header " + std::to_string(i + 1));
    KILN_TRY(CheckCrc(headers[i], "header " + std::to_string(i + 1)));
    if (GetLe(headers[i], 48, 8) != 0 || GetLe(headers[i], 56, 8) != 0)
      return MakeError(ErrorCode::kBuild, name + ": the vhdx log is not empty (LogGuid set)");
  }
  // The current header is the one with the larger sequence number; keep that order.
  const bool second_current = GetLe(headers[1], 8, 8) > GetLe(headers[0], 8, 8);
  const std::string file_write = DerivedGuid(seed, "vhdx-file-write-guid");
  const std::string data_write = DerivedGuid(seed, "vhdx-data-write-guid");
  const std::uint64_t log_length = GetLe(headers[0], 68, 4), log_offset = GetLe(headers[0], 72, 8);
  for (int i = 0; i < 2; ++i) {
    PutLe(headers[i], 8, (i == 1) == second_current ? 2 : 1, 8);
    headers[i].replace(16, 16, file_write);
    headers[i].replace(32, 16, data_write);
    SetCrc(headers[i]);
    KILN_TRY(WriteAt(fd.get(), headers[i], kHeaderOffsets[i], name));
  }
  KILN_ASSIGN_OR_RETURN(std::uint64_t page83, Page83Offset(fd.get(), name));
  KILN_TRY(WriteAt(fd.get(), DerivedGuid(seed, "vhdx-page83-id"), page83, name));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || log_offset + log_length > static_cast<std::uint64_t>(st.st_size) || log_length > (1ULL << 30))
    return MakeError(ErrorCode::kBuild, name + ": the vhdx log region lies outside the file");
  // A hole where the stale log entry was: zeros to every reader.
  if (log_length > 0 && ::fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(log_offset),
                                    static_cast<off_t>(log_length)) != 0) {
    std::uint64_t at = log_offset;
    auto write_zeros = [&](std::string_view z) -> Status {
      Status s = WriteAt(fd.get(), z, at, name);
      at += z.size();
      return s;
    };
    KILN_TRY(StreamZeros(log_length, write_zeros));
  }
  return OkStatus();
}

Status WriteVhdx(const fs::path& raw, const fs::path& out, const std::array<std::uint8_t, 16>& seed) {
  ProcessSpec ps = disk::ToolSpec({"qemu-img", "convert", "-q", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic",
                             raw.string(), out.string()},
                            {{"LC_ALL", "C"}}, {});
  KILN_TRY(disk::RunTool(ps, "converting " + raw.string() + " to vhdx"));
  ::chmod(out.c_str(), 0644);
  return MakeVhdxDeterministic(out, seed);
}

}  // namespace kiln::vmformats
