#include "builder/vmformats/vhd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/vmformats/file_io.h"

namespace kiln::vmformats {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kVhdEpoch = 946684800;  // 2000-01-01 00:00:00 UTC

// CHS geometry: the specification's appendix algorithm (readers that honour geometry,
// like Virtual PC, compute the size from it; Azure and qemu use current_size for fixed disks).
std::uint32_t Geometry(std::uint64_t size) {
  std::uint64_t total = std::min<std::uint64_t>(size / 512, 65535ULL * 16 * 255);
  std::uint64_t spt, heads, cth;
  if (total >= 65535ULL * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = total / spt;
  } else {
    spt = 17;
    cth = total / spt;
    heads = std::max<std::uint64_t>((cth + 1023) / 1024, 4);
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = total / spt;
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = total / spt;
    }
  }
  std::uint64_t cylinders = cth / heads;
  return static_cast<std::uint32_t>((cylinders << 16) | (heads << 8) | spt);
}

std::uint32_t Checksum(const std::string& footer) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < footer.size(); ++i)
    if (i < 64 || i >= 68) sum += static_cast<unsigned char>(footer[i]);
  return ~sum;
}

}  // namespace

std::uint64_t VhdVirtualSize(std::uint64_t raw_size) { return (raw_size + kMiB - 1) / kMiB * kMiB; }

std::string MakeVhdFooter(std::uint64_t virtual_size, std::int64_t source_date_epoch, const Uuid& unique_id) {
  std::string f(kVhdFooterSize, '\0');
  f.replace(0, 8, "conectix");
  PutBe(f, 8, 2, 4);                 // features: reserved bit always set
  PutBe(f, 12, 0x00010000, 4);       // file format version 1.0
  PutBe(f, 16, ~0ULL, 8);            // data offset: none for a fixed disk
  PutBe(f, 24, static_cast<std::uint64_t>(std::clamp<std::int64_t>(source_date_epoch - kVhdEpoch, 0, 0xffffffff)), 4);
  // Creator "win " (Hyper-V): readers such as qemu and VirtualBox take the size from the
  // geometry unless the creator is one known to use current_size, and the geometry cannot
  // express every whole-MiB size.
  f.replace(28, 4, "win ");          // creator application
  PutBe(f, 32, 0x00010000, 4);       // creator version
  f.replace(36, 4, "Wi2k");          // creator host OS, as Hyper-V writes it
  PutBe(f, 40, virtual_size, 8);     // original size
  PutBe(f, 48, virtual_size, 8);     // current size
  PutBe(f, 56, Geometry(virtual_size), 4);
  PutBe(f, 60, 2, 4);                // disk type: fixed
  std::memcpy(f.data() + 68, unique_id.bytes.data(), 16);
  PutBe(f, 64, Checksum(f), 4);
  return f;
}

Result<VhdFooter> ParseVhdFooter(const std::string& footer) {
  if (footer.size() != kVhdFooterSize || footer.compare(0, 8, "conectix") != 0)
    return MakeError(ErrorCode::kInput, "no VHD footer (cookie 'conectix') in the last 512 bytes");
  if (GetBe(footer, 64, 4) != Checksum(footer)) return MakeError(ErrorCode::kIntegrity, "the VHD footer checksum is wrong");
  VhdFooter v;
  v.current_size = GetBe(footer, 48, 8);
  v.disk_type = static_cast<std::uint32_t>(GetBe(footer, 60, 4));
  v.timestamp = static_cast<std::uint32_t>(GetBe(footer, 24, 4));
  if (v.disk_type != 2) return MakeError(ErrorCode::kInput, "the VHD is not fixed (disk type " + std::to_string(v.disk_type) + ")");
  return v;
}

Status WriteVhd(const fs::path& raw, const fs::path& out, std::int64_t source_date_epoch,
                const std::array<std::uint8_t, 16>& seed) {
  KILN_ASSIGN_OR_RETURN(UniqueFd in, OpenForReading(raw));
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return MakeError(ErrorCode::kIo, "cannot stat " + raw.string());
  const std::uint64_t raw_size = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t size = VhdVirtualSize(raw_size);
  UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return MakeError(ErrorCode::kIo, "cannot create " + out.string() + ": " + std::strerror(errno));
  ::fchmod(fd.get(), 0644);
  // The data: an in-kernel copy (reflink where the file system can), then the zero padding
  // as a hole and the footer after it.
  loff_t off_in = 0;
  std::uint64_t left = raw_size;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in.get(), &off_in, fd.get(), nullptr, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, "cannot copy " + raw.string() + " into " + out.string() + ": " + std::strerror(errno));
    left -= static_cast<std::uint64_t>(n);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
    return MakeError(ErrorCode::kIo, "cannot size " + out.string() + ": " + std::strerror(errno));
  const Uuid id = UuidV4From(HmacSha256(std::span<const std::uint8_t>(seed), "vhd-unique-id"));
  return WriteAt(fd.get(), MakeVhdFooter(size, source_date_epoch, id), size, out.string());
}

}  // namespace kiln::vmformats
